"""The toroidal grid: neighbourhoods by hand on 1x1, 2x2, 3x3 and 4x5, the split over processes, --grid parsing."""

import pytest

from ganforge.distributed.grid import Grid, cells_of_rank
from ganforge.errors import UserError


def test_one_cell_is_its_own_neighbourhood():
    assert Grid(1, 1).neighbourhood(0) == [0]


def test_two_by_two_wraps_so_north_is_south_and_west_is_east():
    grid = Grid(2, 2)  # cells 0 1 / 2 3
    assert grid.neighbourhood(0) == [0, 2, 1]
    assert grid.neighbourhood(3) == [3, 1, 2]


def test_three_by_three_has_five_distinct_cells_around_the_torus():
    grid = Grid(3, 3)  # 0 1 2 / 3 4 5 / 6 7 8
    assert grid.neighbourhood(4) == [4, 1, 7, 3, 5]  # the centre: self, N, S, W, E
    assert grid.neighbourhood(0) == [0, 6, 3, 2, 1]  # a corner wraps both ways
    assert grid.neighbourhood(8) == [8, 5, 2, 7, 6]


def test_four_by_five_rows_and_columns_wrap_independently():
    grid = Grid(4, 5)  # row r holds cells 5r .. 5r+4
    assert grid.neighbourhood(0) == [0, 15, 5, 4, 1]
    assert grid.neighbourhood(19) == [19, 14, 4, 18, 15]
    assert grid.neighbourhood(7) == [7, 2, 12, 6, 8]
    for cell in range(grid.size):  # the relation is symmetric: I am my neighbours' neighbour
        for other in grid.neighbourhood(cell):
            assert cell in grid.neighbourhood(other)


def test_cells_are_split_over_processes_without_gaps_or_overlap():
    for cells, world in [(4, 1), (4, 2), (9, 2), (20, 3), (5, 5)]:
        parts = [cells_of_rank(cells, r, world) for r in range(world)]
        assert sum(parts, []) == list(range(cells))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize("text", ["0x3", "3x0", "abc", "3", "3x3x3", "-1x2", ""])
def test_bad_grid_shapes_are_user_errors(text):
    with pytest.raises(UserError, match="--grid"):
        Grid.parse(text)


def test_grid_shapes_parse():
    assert Grid.parse("3x4") == Grid(3, 4) and str(Grid.parse(" 2X2 ")) == "2x2"
