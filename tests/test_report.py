"""``simmatrix report``: the HTML page opened for real in headless chromium (selenium).

Everything the page shows is checked against S itself (numpy), never against the page's
own data: hover gives the right pair and value, search gives the right nearest classes
(largest first, ties in column order, computed here with plain sorting), and hostile class
names stay text. The page must open offline: it declares a CSP of ``default-src 'none'``
and loads no resource at all.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix, io

CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", \
    shutil.which("chromedriver") or "/usr/bin/chromedriver"
INJECT = '</script><img src=x onerror="window.__pwned=1">'
BOLD = "<b>bold</b> & <!-- x"
NOTE = "<script>window.__pwned2=1</script>"


def _matrix(n=30, seed=4):
    """Asymmetric values with ties (rounded to 0.05), two hostile class names."""
    rng = np.random.default_rng(seed)
    a = (rng.uniform(0, 0.9, (n, n)) / 0.05).round() * 0.05
    np.fill_diagonal(a, 1.0)
    names = [f"class{i:02d}" for i in range(n)]
    names[3], names[5] = INJECT, BOLD
    meta = {"builder": "test", "params": {"measure": "random", "note": NOTE},
            "sources": [{"name": "made in tests/test_report.py"}],
            "transforms": [{"name": "lower_bound", "lower": 0.0}]}
    return SimilarityMatrix(a, names, meta)


def _nearest(a, i, k=20):
    """Reference: the k largest positive S[i, j], j != i, ties by column (plain sort)."""
    js = sorted((j for j in range(len(a)) if j != i), key=lambda j: (-a[i, j], j))
    return [(j, a[i, j]) for j in js[:k] if a[i, j] > 0]


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (tests/setup.sh does)")
    opts = Options()
    opts.binary_location = shutil.which(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,1000", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which(DRIVER)), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _open(browser, path):
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return document.body.dataset.ready") == "1", \
        browser.get_log("browser")
    return browser


def _errors(browser):
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _text(browser, id_):
    return browser.execute_script(f"return document.getElementById('{id_}').textContent")


def _hover(browser, row, col):
    """Move the real mouse to the centre of display cell (row, col); return what it shows."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = browser.find_element(By.ID, "heatmap")
    view = browser.execute_script("return window.simmatrixReport.view")
    width = browser.execute_script(
        "return document.getElementById('heatmap').getBoundingClientRect().width")
    px = width / view["span"]
    x = (col + 0.5 - view["x0"]) * px - width / 2
    y = (row + 0.5 - view["y0"]) * px - width / 2
    ActionChains(browser).move_to_element_with_offset(canvas, round(x), round(y)).perform()
    return _text(browser, "hover-true"), _text(browser, "hover-pred"), \
        float(_text(browser, "hover-value").split()[0])


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from simmatrix.cli import main

    folder = tmp_path_factory.mktemp("report")
    S = _matrix()
    io.save(S, folder / "S.parquet")
    with pytest.raises(SystemExit) as done:
        main(["report", str(folder / "S.parquet"), "-o", str(folder / "S.html"),
              "--order", "given"])
    assert done.value.code in (0, None)
    return S, folder / "S.html"


def test_page_is_self_contained_and_escaped(page):
    S, path = page
    html = path.read_text(encoding="utf-8")
    assert "default-src 'none'" in html and "<img" not in html and "<b>" not in html
    assert not re.search(r"<[a-z]+[^>]*\s(src|href)=", html)  # nothing loaded from anywhere
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert html.count("</script>") == 2  # the data block and the script, nothing else


def test_canvas_is_drawn_and_no_console_errors(browser, page):
    S, path = page
    _open(browser, path)
    pixels = browser.execute_script("""
        const c = document.getElementById('heatmap');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);""")
    rgba = np.array(pixels, dtype=np.uint8).reshape(-1, 4)
    colours = {tuple(p) for p in rgba[::97, :3]}
    assert len(colours) > 10 and rgba[:, 3].min() == 255  # drawn all over, not blank
    assert not _errors(browser)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") \
        == 0  # nothing fetched: no script, font, image or data from anywhere
    assert browser.execute_script("return [window.__pwned, window.__pwned2]") == [None, None]
    assert browser.execute_script("return document.querySelectorAll('img, b').length") == 0


def test_hover_shows_the_pair_and_its_value(browser, page):
    S, path = page
    _open(browser, path)
    a = S.to_dense()
    for r, c in [(0, 0), (5, 3), (12, 29), (29, 0), (3, 5)]:
        true, pred, value = _hover(browser, r, c)
        assert (true, pred) == (S.classes[r], S.classes[c])
        assert value == pytest.approx(a[r, c], abs=1e-6)
    assert INJECT in _text(browser, "tooltip")  # as text, in the tooltip too


def test_wheel_and_drag_zoom_keep_hover_right(browser, page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By

    S, path = page
    _open(browser, path)
    canvas = browser.find_element(By.ID, "heatmap")
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(canvas, 100, 100), 0,
                                             -300).perform()
    view = browser.execute_script("return window.simmatrixReport.view")
    assert view["span"] < len(S)
    a = S.to_dense()
    r = int(view["y0"]) + 1
    c = int(view["x0"]) + 1
    true, pred, value = _hover(browser, r, c)
    assert (true, pred) == (S.classes[r], S.classes[c])
    assert value == pytest.approx(a[r, c], abs=1e-6)
    browser.execute_script("document.getElementById('reset').click()")
    # drag a box over cells 10..16 of both axes: the view becomes about those 6 cells
    cell = 640 / len(S)
    (ActionChains(browser).move_to_element_with_offset(canvas, round(10 * cell - 320),
                                                      round(10 * cell - 320))
     .click_and_hold().move_by_offset(round(3 * cell), round(3 * cell))
     .move_by_offset(round(3 * cell), round(3 * cell)).release().perform())
    view = browser.execute_script("return window.simmatrixReport.view")
    assert view["span"] == pytest.approx(6, abs=0.2)
    assert view["x0"] == pytest.approx(10, abs=0.2) and view["y0"] == pytest.approx(10, abs=0.2)
    true, pred, value = _hover(browser, 13, 11)
    assert (true, pred, value) == (S.classes[13], S.classes[11], pytest.approx(a[13, 11]))
    assert not _errors(browser)


@pytest.mark.parametrize("i", [12, 3])
def test_search_shows_nearest_classes(browser, page, i):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    S, path = page
    _open(browser, path)
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(S.classes[i], Keys.ENTER)
    shown = browser.execute_script("""
        return Array.from(document.querySelectorAll('#row li')).map(
            (li) => [li.querySelector('.name').textContent,
                     Number(li.querySelector('.value').textContent)]);""")
    expected = _nearest(S.to_dense(), i)
    assert [name for name, _ in shown] == [S.classes[j] for j, _ in expected]
    np.testing.assert_allclose([v for _, v in shown], [v for _, v in expected], atol=1e-6)
    assert S.classes[i] in _text(browser, "row-title")
    assert browser.execute_script("return [window.__pwned, window.__pwned2]") == [None, None]
    assert not _errors(browser)


def test_search_by_part_of_a_name_lists_matches(browser, page):
    from selenium.webdriver.common.by import By

    S, path = page
    _open(browser, path)
    browser.find_element(By.ID, "search").send_keys("class1")
    buttons = browser.execute_script(
        "return Array.from(document.querySelectorAll('#matches button')).map(b => b.textContent)")
    assert buttons == [c for c in S.classes if "class1" in c]


def test_provenance_and_validation_are_shown(browser, page):
    S, path = page
    _open(browser, path)
    meta = _text(browser, "meta")
    assert "builder" in meta and "test" in meta and NOTE in meta and "lower_bound" in meta
    assert "made in tests/test_report.py" in meta
    assert _text(browser, "valid").startswith("valid")
    checks = _text(browser, "checks")
    a = S.to_dense()
    asym = np.abs(a - a.T).max()
    assert "diagonal exactly 1" in checks and "values in [0, 1]" in checks
    assert f"max |S − Sᵀ| {asym:.4g}" in checks
    stats = _text(browser, "stats")
    off = a[~np.eye(len(a), dtype=bool)]
    assert f"mean off-diagonal{float(f'{off.mean():.6g}'):g}" in stats.replace("\n", "")


def test_invalid_matrix_gets_a_page_with_its_errors(browser, cli, tmp_path):
    np.save(tmp_path / "bad.npy", np.array([[1.0, 0.2, np.nan], [0.3, 0.5, 0.0],
                                            [0.0, 1.4, 1.0]]))
    res = cli("report", tmp_path / "bad.npy", "-o", tmp_path / "bad.html")
    assert res.code == 0, res
    _open(browser, tmp_path / "bad.html")
    assert _text(browser, "valid").startswith("INVALID")
    errors = _text(browser, "errors")
    assert "S[2, 1] = 1.4 is outside [0, 1]" in errors and "S[1, 1] = 0.5 is not 1" in errors
    assert "S[0, 2] = nan is not finite" in errors and "not finite" in _text(browser, "note")
    assert not _errors(browser)


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_matrices_open_cleanly(browser, tmp_path, n):
    from simmatrix.report import write_report

    write_report(SimilarityMatrix(np.eye(n), [f"c{i}" for i in range(n)]), tmp_path / "t.html")
    _open(browser, tmp_path / "t.html")
    assert _text(browser, "title").endswith(f"{n} classes")
    assert not _errors(browser)


def test_large_matrix_is_pooled_with_a_note(browser, cli, tmp_path):
    import scipy.sparse as sp

    n = 3000  # S = 0.5^|i - j| within distance 2, sparse
    offsets = [-2, -1, 0, 1, 2]
    band = sp.diags_array([np.full(n - abs(d), 0.5 ** abs(d)) for d in offsets], offsets=offsets,
                          format="csr")
    io.save(SimilarityMatrix(band, metadata={"builder": "order"}), tmp_path / "big.parquet")
    res = cli("report", tmp_path / "big.parquet", "-o", tmp_path / "big.html")
    assert res.code == 0, res
    assert (tmp_path / "big.html").stat().st_size < 3 * 2**20
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, tmp_path / "big.html")
    assert "3000 classes" in _text(browser, "note")
    size, block = browser.execute_script(
        "return [window.simmatrixReport.size, window.simmatrixReport.block]")
    assert block == 4 and size == 750
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    corner = ScrollOrigin.from_element(browser.find_element(By.ID, "heatmap"), -319, -319)
    for _ in range(12):  # zoom into the top-left corner: cells of several pixels
        ActionChains(browser).scroll_from_origin(corner, 0, -100).perform()
    assert browser.execute_script("return window.simmatrixReport.view.span") < 100
    true, pred, value = _hover(browser, 10, 11)  # classes 40..43 and 44..47: S = 0.5
    assert true.startswith("40 … 43") and pred.startswith("44 … 47") and value == 0.5
    browser.find_element(By.ID, "search").send_keys("1500", Keys.ENTER)
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#row .name')).map(e => e.textContent)")
    assert shown == ["1499", "1501", "1498", "1502"]
    assert not _errors(browser)


def test_output_rules(cli, tmp_path):
    io.save(_matrix(6), tmp_path / "S.parquet")
    out = tmp_path / "S.html"
    out.write_text("old")
    res = cli("report", tmp_path / "S.parquet", "-o", out)
    assert_one_line_error(res, 2)
    assert "--force" in res.err and out.read_text() == "old"
    assert cli("report", tmp_path / "S.parquet", "-o", out, "--force").code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    for args in (["-o", tmp_path / "S.png"], ["-o", tmp_path / "x.html", "--order", "odd"]):
        res = cli("report", tmp_path / "S.parquet", *args)
        assert_one_line_error(res, 2)
    res = cli("report", tmp_path / "missing.parquet", "-o", tmp_path / "m.html")
    assert_one_line_error(res, 2)
    assert not (tmp_path / "m.html").exists() and not (tmp_path / "x.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.html", "S.parquet"]


def test_report_html_is_pure_and_json_is_recoverable():
    from simmatrix.report import report_html

    S = _matrix(8)
    html = report_html(S, source="x")
    start = html.index('id="simmatrix-data">') + len('id="simmatrix-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["classes"] == list(S.classes) and data["metadata"]["params"]["note"] == NOTE


def test_wnids_are_searched_by_human_name(browser, cli, tmp_path):
    """ImageNet's 1000 wnids: 'tench' finds n01440764, its neighbours match S; 'crane'
    names two classes, so both are offered."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    import simmatrix

    res = cli("report", "imagenet1k-wordnet-wup", "-o", tmp_path / "in.html")
    assert res.code == 0, res
    _open(browser, tmp_path / "in.html")
    box = browser.find_element(By.ID, "search")
    box.send_keys("Tench", Keys.ENTER)
    assert "n01440764 (tench)" in _text(browser, "row-title")
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#row .name')).map(e => e.textContent)")
    S = simmatrix.load("imagenet1k-wordnet-wup")
    expected = [S.classes[j] for j, _ in _nearest(S.to_dense().astype(np.float64), 0)]
    assert [s.split(" (")[0] for s in shown] == expected
    box.clear()
    box.send_keys("crane", Keys.ENTER)
    buttons = browser.execute_script(
        "return Array.from(document.querySelectorAll('#matches button')).map(b => b.textContent)")
    assert "n02012849 (crane)" in buttons and "n03126707 (crane)" in buttons
    assert not _errors(browser)


def test_hierarchy_report_is_in_tree_order():
    """cifar100-hierarchy-lca: the heatmap rows follow the superclass tree (20 blocks)."""
    import simmatrix
    from simmatrix.report import report_html

    S = simmatrix.load("cifar100-hierarchy-lca")
    html = report_html(S)
    start = html.index('id="simmatrix-data">') + len('id="simmatrix-data">')
    order = json.loads(html[start:html.index("</script>", start)])["order"]
    a = S.to_dense()[np.ix_(order, order)]
    block = np.kron(np.eye(20), np.full((5, 5), 0.5))
    np.fill_diagonal(block, 1)
    np.testing.assert_array_equal(a, block)
