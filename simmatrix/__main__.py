"""``python -m simmatrix`` runs the command line."""

from simmatrix.cli import main

if __name__ == "__main__":
    main()
