"""Tests for loading a user's points from .npy and .csv files, and the errors bad files give."""

import numpy as np
import pandas as pd
import pytest
import torch

from ganforge.data.dataset import load_dataset
from ganforge.data.points import check_points, load_points
from ganforge.errors import UserError

TABLE = [[1.5, -2.0], [3.0, 4.25], [-5.0, 6.0]]


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def loaded(path) -> list[list[float]]:
    points = load_points(path)
    assert points.dtype == torch.float32
    return points.tolist()


# --- files that load ----------------------------------------------------------------------------

def test_npy_array(tmp_path):
    path = tmp_path / "points.npy"
    np.save(path, np.array(TABLE))
    assert loaded(path) == TABLE


def test_npy_of_integers_and_1d_npy(tmp_path):
    np.save(tmp_path / "ints.npy", np.array([[1, 2], [3, 4]], dtype=np.int64))
    assert loaded(tmp_path / "ints.npy") == [[1.0, 2.0], [3.0, 4.0]]
    np.save(tmp_path / "line.npy", np.array([0.5, 1.5, 2.5]))
    assert loaded(tmp_path / "line.npy") == [[0.5], [1.5], [2.5]]  # one column


def test_csv_with_a_header(tmp_path):
    assert loaded(write(tmp_path, "h.csv", "x,y\n1.5,-2\n3,4.25\n-5,6\n")) == TABLE


def test_csv_without_a_header_keeps_the_first_row(tmp_path):
    assert loaded(write(tmp_path, "n.csv", "1.5,-2\n3,4.25\n-5,6\n")) == TABLE


@pytest.mark.parametrize("text", ["1.5;-2\n3;4.25\n-5;6\n", "x;y\n1.5;-2\n3;4.25\n-5;6\n",
                                  "1.5\t-2\n3\t4.25\n-5\t6\n", "1.5, -2\n3, 4.25\n-5, 6\n",
                                  '"x","y"\n1.5,-2\n3,4.25\n-5,6\n', "\ufeffx,y\n1.5,-2\n3,4.25\n-5,6\n"])
def test_csv_delimiters_quotes_and_bom(tmp_path, text):
    assert loaded(write(tmp_path, "d.csv", text)) == TABLE


@pytest.mark.parametrize("text", ["0.5\n1.5\n2.5\n", "x\n0.5\n1.5\n2.5\n"])
def test_single_column_csv_is_1d_data(tmp_path, text):
    assert loaded(write(tmp_path, "one.csv", text)) == [[0.5], [1.5], [2.5]]


def test_csv_written_by_pandas_round_trips(tmp_path):
    path = tmp_path / "frame.csv"
    pd.DataFrame(TABLE, columns=["a", "b"]).to_csv(path, index=False)
    assert loaded(path) == TABLE


# --- files that do not --------------------------------------------------------------------------

def test_missing_path(tmp_path):
    with pytest.raises(UserError, match="data path .*nothing.csv does not exist"):
        load_points(tmp_path / "nothing.csv")


def test_empty_file(tmp_path):
    with pytest.raises(UserError, match="is empty"):
        load_points(write(tmp_path, "empty.csv", ""))
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(UserError, match="is empty"):
        load_points(tmp_path / "empty.npy")


@pytest.mark.parametrize("text, match", [("x,y\n", "has no rows"), ("\n\n", "not a readable CSV")])
def test_csv_with_no_data_rows(tmp_path, text, match):
    with pytest.raises(UserError, match=match):
        load_points(write(tmp_path, "hollow.csv", text))


def test_directory(tmp_path):
    folder = tmp_path / "points.csv"
    folder.mkdir()
    with pytest.raises(UserError, match="is a folder"):
        load_points(folder)


def test_non_numeric_value_names_row_and_column(tmp_path):
    path = write(tmp_path, "text.csv", "x,y\n1,2\n3,abc\n5,6\n")
    with pytest.raises(UserError, match=r"non-numeric value 'abc' \(row 2, column 2 'y'\)"):
        load_points(path)


def test_non_numeric_value_without_a_header_counts_columns_from_one(tmp_path):
    path = write(tmp_path, "text.csv", "1,2\n3,4\nfoo,6\n")
    with pytest.raises(UserError, match=r"non-numeric value 'foo' \(row 3, column 1\)$"):
        load_points(path)


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", ""])
def test_nan_infinite_or_missing_value_in_csv(tmp_path, cell):
    path = write(tmp_path, "holes.csv", f"1,2\n3,{cell}\n5,6\n")
    with pytest.raises(UserError, match=r"missing, NaN or infinite value \(row 2, column 2\)"):
        load_points(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinite_value_in_npy(tmp_path, bad):
    array = np.array(TABLE)
    array[2, 0] = bad
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(UserError, match=r"\(row 3, column 1\)"):
        load_points(tmp_path / "bad.npy")


def test_single_row(tmp_path):
    with pytest.raises(UserError, match="single point"):
        load_points(write(tmp_path, "one.csv", "x,y\n1,2\n"))
    np.save(tmp_path / "one.npy", np.array([[1.0, 2.0]]))
    with pytest.raises(UserError, match="single point"):
        load_points(tmp_path / "one.npy")


def test_unsupported_extension(tmp_path):
    with pytest.raises(UserError, match=r"unsupported type '\.txt'; use \.npy or \.csv"):
        load_points(write(tmp_path, "points.txt", "1,2\n3,4\n"))


def test_ragged_csv(tmp_path):
    with pytest.raises(UserError, match="not a readable CSV"):
        load_points(write(tmp_path, "ragged.csv", "1,2\n3,4,5\n6,7\n"))


def test_binary_garbage(tmp_path):
    (tmp_path / "noise.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UserError, match="not a readable CSV"):
        load_points(tmp_path / "noise.csv")
    (tmp_path / "noise.npy").write_bytes(b"not an array at all")
    with pytest.raises(UserError, match=r"not a readable \.npy"):
        load_points(tmp_path / "noise.npy")


@pytest.mark.parametrize("array, match", [
    (np.zeros((2, 2, 2)), "rows x columns"), (np.zeros((0, 2)), "rows x columns"),
    (np.array([True, False]), "bool"), (np.ones(3, dtype=complex), "complex"),
    (np.array(["1", "2"]), "expected real numbers"),
])
def test_check_points_rejects_what_is_not_a_table_of_reals(array, match):
    with pytest.raises(UserError, match=match):
        check_points(array, "the data")


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, {"b": 2}], dtype=object), allow_pickle=True)
    with pytest.raises(UserError, match="not a readable .npy"):
        load_points(tmp_path / "objects.npy")


# --- names and paths through load_dataset -------------------------------------------------------

def test_load_dataset_takes_a_builtin_name_or_a_file(tmp_path):
    assert load_dataset("ring8").toy is not None and load_dataset("ring8").dim == 2
    path = write(tmp_path, "p.csv", "1,2,3\n4,5,6\n")  # numbers only: points
    dataset = load_dataset(str(path))
    assert dataset.kind == "points" and dataset.dim == 3 and dataset.points.shape == (2, 3)
    path = write(tmp_path, "t.csv", "a,b,c\n1,2,3\n4,5,6\n")  # a header of names: a table
    assert load_dataset(str(path)).kind == "table"


def test_load_dataset_unknown_name_lists_the_builtins():
    with pytest.raises(UserError, match=r"unknown dataset 'ring9'.*grid25.*ring8"):
        load_dataset("ring9")
