"""Tests for the training story: frames, arrows that follow the same z, the GIF and the strip."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver
from PIL import Image

from ganforge.errors import UserError
from ganforge.report.story import choose_frames, read_story, render_frame, write_story


def quivers(fig):
    return [c for ax in fig.axes for c in ax.collections if isinstance(c, Quiver)]


def test_a_2d_story_becomes_an_endless_4_fps_gif_of_at_most_24_frames_and_a_strip(tmp_path, write_story_file,
                                                                                  ring_story_arrays):
    write_story_file(tmp_path, ring_story_arrays(frames=40))
    paths = write_story(tmp_path)
    assert paths == [tmp_path / "plots" / "story.gif", tmp_path / "plots" / "story_strip.png"]
    with Image.open(paths[0]) as gif:
        assert gif.format == "GIF" and gif.n_frames == 24
        assert gif.info["loop"] == 0 and gif.info["duration"] == 250
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"))
        assert (first != last).any()  # the samples moved
    with Image.open(paths[1]) as strip:
        assert strip.format == "PNG" and strip.width > 3 * strip.height  # five frames side by side
    assert not list((tmp_path / "plots").glob("*.tmp"))


def test_frames_are_chosen_evenly_from_first_to_last():
    assert choose_frames(40, 5) == [0, 10, 20, 29, 39]
    assert choose_frames(3, 24) == [0, 1, 2]
    assert choose_frames(1, 5) == [0]


def test_arrows_follow_the_same_z_from_one_frame_to_the_next(tmp_path, write_story_file, ring_story_arrays):
    arrays = ring_story_arrays(frames=5, m=400)
    write_story_file(tmp_path, arrays)
    story = read_story(tmp_path)
    fig = render_frame(story, 1)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title() == "step 100"
    (arrows,) = quivers(fig)
    assert arrows.N == 150  # a subset of the 400 samples
    start = np.column_stack([arrows.X, arrows.Y])
    index = [int(np.argmin(np.abs(arrays["samples"][1] - p).sum(axis=1))) for p in start]
    np.testing.assert_allclose(start, arrays["samples"][1, index])
    np.testing.assert_allclose(np.column_stack([arrows.U, arrows.V]),
                               arrays["samples"][2, index] - arrays["samples"][1, index])
    assert not quivers(render_frame(story, 4))  # the last frame has nowhere to go


def test_a_1d_story_draws_d_as_a_curve_with_histograms_and_horizontal_arrows(tmp_path, write_story_file,
                                                                               gaussian_story_arrays):
    arrays = gaussian_story_arrays(frames=6)
    write_story_file(tmp_path, arrays)
    fig = render_frame(read_story(tmp_path), 0)
    (arrows,) = quivers(fig)
    np.testing.assert_array_equal(arrows.V, 0)  # movement along x only
    curve = [line for ax in fig.axes for line in ax.get_lines() if line.get_label() == "D(x)"]
    assert len(curve) == 1
    np.testing.assert_allclose(curve[0].get_ydata(), arrays["surface"][0])
    assert len(write_story(tmp_path)) == 2


def test_a_score_surface_and_a_story_without_a_surface_both_render(tmp_path, write_story_file, ring_story_arrays):
    write_story_file(tmp_path, ring_story_arrays(frames=3, kind="score"))
    assert len(write_story(tmp_path)) == 2
    arrays = ring_story_arrays(frames=3)
    for name in ("surface", "grid_x", "grid_y"):
        del arrays[name]
    write_story_file(tmp_path, arrays)
    assert len(write_story(tmp_path)) == 2


def test_no_story_without_a_file_or_above_two_dimensions(tmp_path, write_story_file):
    assert write_story(tmp_path) == []
    rng = np.random.default_rng(0)
    write_story_file(tmp_path, {"steps": np.arange(3), "real": rng.standard_normal((50, 3)),
                                "samples": rng.standard_normal((3, 20, 3))})
    assert write_story(tmp_path) == []
    assert not (tmp_path / "plots").exists()


def test_a_surface_that_does_not_match_the_grid_is_a_clear_error(tmp_path, write_story_file, ring_story_arrays):
    arrays = ring_story_arrays(frames=3)
    arrays["surface"] = arrays["surface"][:, :, :-1]
    write_story_file(tmp_path, arrays)
    with pytest.raises(UserError, match="surface has shape"):
        write_story(tmp_path)
    arrays = ring_story_arrays(frames=3)
    arrays["surface_kind"] = np.array("logits")
    write_story_file(tmp_path, arrays)
    with pytest.raises(UserError, match="surface_kind"):
        read_story(tmp_path)


def test_samples_outside_the_grid_are_counted_and_drawn_on_its_edge(tmp_path, write_story_file, ring_story_arrays):
    arrays = ring_story_arrays(frames=3, m=100)
    arrays["samples"][1, :7] = 50.0  # far outside the grid's [-3, 3]
    arrays["samples"][1, 7] = np.nan
    write_story_file(tmp_path, arrays)
    fig = render_frame(read_story(tmp_path), 1)
    ax = fig.axes[0]
    assert ax.get_title() == "step 100 (7 beyond the view, 1 not finite)"
    (edge,) = [c for c in ax.collections if c.get_label() == "generated, beyond the view"]
    offsets = edge.get_offsets()
    assert len(offsets) == 7 and (np.abs(offsets) < 3).all()
