"""report.html in headless Chromium: every image loads, the diagnosis is on screen, the page is not blank."""

import os
import re
import shutil
import subprocess

import pytest
from PIL import Image

from ganforge.report import build_report

MESSAGE = "Generated samples collapsed onto 3 of 8 modes; try --loss non-saturating."
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--virtual-time-budget=5000"]


@pytest.fixture(scope="module")
def browser() -> str:
    """The chromium binary; a skip when it is missing here, a failure in CI (where `make test` installs it)."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; `make test` installs it (Debian package chromium)")
        pytest.skip("chromium is not installed (run `make test`, or apt-get install chromium)")
    return path


def browse(binary, profile, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *arguments],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def report(browser, tmp_path_factory, make_run, write_story_file, ring_story_arrays):
    """A finished 2D run with one finding and a story, built into report.html (once for this module)."""
    run_dir = tmp_path_factory.mktemp("run")
    make_run(run_dir, diagnostics=[{"step": 1200, "kind": "mode_collapse", "message": MESSAGE}])
    write_story_file(run_dir, ring_story_arrays(frames=8))
    return build_report(run_dir)


def test_every_image_loads_and_the_diagnosis_is_on_screen(browser, report, tmp_path):
    done = browse(browser, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    status = dict(re.findall(r'data-([\w-]+)="([^"]*)"', body.group(1)))
    images = len(re.findall(r"<img\b", report.read_text()))
    assert images == 6  # losses, accuracy, quality, story GIF, story strip, samples
    assert status.get("images-loaded") == str(images), status
    assert status.get("images-broken") == "0", status
    assert status.get("diagnosis-visible") == "yes", status
    diagnosis = re.search(r'<section id="diagnosis">(.*?)</section>', dom, re.S).group(1)
    assert MESSAGE in diagnosis
    assert 'class="broken"' not in dom  # no "could not be displayed" note was added


def test_the_page_renders_as_a_picture_with_content(browser, report, tmp_path):
    shot = tmp_path / "report.png"
    done = browse(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,3000", report.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50  # text, plots and the heatmap, not a blank page
    keep = os.environ.get("GANFORGE_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
