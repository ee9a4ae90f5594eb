"""Reading a CSV as a table: delimiters, quotes, UTF-8 names; and the clear error for each bad input."""

import pandas as pd
import pytest

from ganforge.data.dataset import load_dataset
from ganforge.data.tabular import infer_columns
from ganforge.errors import UserError


def write(tmp_path, text: str, name: str = "t.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text", [
    "name,score,grade\nAna,1.5,A\nRui,2,B\nEva,3.25,A\n",
    "name;score;grade\nAna;1.5;A\nRui;2;B\nEva;3.25;A\n",
    "name\tscore\tgrade\nAna\t1.5\tA\nRui\t2\tB\nEva\t3.25\tA\n",
    '"name","score","grade"\n"Ana","1.5","A"\n"Rui","2","B"\n"Eva","3.25","A"\n',
    "\ufeffname, score, grade\nAna, 1.5, A\nRui, 2, B\nEva, 3.25, A\n",  # BOM, spaces after commas
])
def test_any_delimiter_quotes_and_bom(tmp_path, text):
    dataset = load_dataset(str(write(tmp_path, text)))
    assert dataset.kind == "table"
    assert list(dataset.table.columns) == ["name", "score", "grade"]
    assert dataset.table["score"].tolist() == [1.5, 2.0, 3.25] and dataset.table["grade"].tolist() == ["A", "B", "A"]


def test_utf8_names_and_quoted_delimiters(tmp_path):
    text = 'região,descrição,idade\n"Évora","a, b",30\n"Porto","c",41\n'
    table = load_dataset(str(write(tmp_path, text))).table
    assert list(table.columns) == ["região", "descrição", "idade"]
    assert table["descrição"].tolist() == ["a, b", "c"]


def test_a_csv_of_numbers_without_a_header_stays_points(tmp_path):
    assert load_dataset(str(write(tmp_path, "1,2\n3,4\n5,6\n"))).kind == "points"


def test_dates_and_booleans_get_their_types(tmp_path):
    text = "day,ok\n2024-01-02,true\n2024-02-03,False\n2024-03-04,TRUE\n"
    table = load_dataset(str(write(tmp_path, text))).table
    assert pd.api.types.is_datetime64_any_dtype(table["day"]) and table["ok"].tolist() == [True, False, True]


@pytest.mark.parametrize("text, needle", [
    ("", "is empty"),
    ("a,b\n", "header but no rows"),
    ("a,b\n1,x\n", "single row"),
    ("a,b\n1,\n2,\n3,\n", "column 'b' is entirely missing"),
])
def test_bad_files(tmp_path, text, needle):
    with pytest.raises(UserError, match=needle):
        load_dataset(str(write(tmp_path, text)))


def test_identifier_column_is_refused_with_advice():
    frame = pd.DataFrame({"id": [f"P{i:05d}" for i in range(200)], "x": range(200)})
    with pytest.raises(UserError, match=r"'id' looks like an identifier.*drop it"):
        infer_columns(frame)
    assert infer_columns(frame, discrete=["id"])[0]["kind"] == "categorical"  # forced on purpose


def test_discrete_override_and_unknown_names():
    frame = pd.DataFrame({"n": list(range(40)), "y": [0, 1] * 20})
    assert [c["kind"] for c in infer_columns(frame)] == ["continuous", "categorical"]
    assert [c["kind"] for c in infer_columns(frame, discrete=["n"])] == ["categorical", "categorical"]
    with pytest.raises(UserError, match="column 'nope'.*not in the table"):
        infer_columns(frame, discrete=["nope"])


def test_metadata_file_sets_kinds(tmp_path):
    from ganforge.data.tabular import read_metadata

    (tmp_path / "m.yaml").write_text("columns:\n  n: categorical\n  y: numerical\n")
    frame = pd.DataFrame({"n": list(range(40)), "y": [0.5, 1.5] * 20})
    kinds = read_metadata(str(tmp_path / "m.yaml"))
    assert [c["kind"] for c in infer_columns(frame, overrides=kinds)] == ["categorical", "continuous"]
    (tmp_path / "bad.yaml").write_text("n: fancy\n")
    with pytest.raises(UserError, match="'n' must be categorical or continuous"):
        read_metadata(str(tmp_path / "bad.yaml"))
