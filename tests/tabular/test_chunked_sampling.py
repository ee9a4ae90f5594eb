"""Sampling a table into a file in chunks: exactly n rows, reproducible for a seed, conditions and
the no-copies rule in every chunk, and never a half file over an earlier one."""

import pandas as pd
import pytest

from ganforge.api import GAN, load
from ganforge.chunked_sampling import MAX_CHUNK_ROWS, MIN_CHUNK_ROWS, chunk_rows, chunk_seed, write_table_samples
from cli_kit import assert_user_error, cli

TINY = {"steps": 30, "batch_size": 64, "generator_hidden": [32, 32], "discriminator_hidden": [32, 32],
        "log_every": 15, "eval_samples": 200}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, make_table):
    out = tmp_path_factory.mktemp("chunks") / "run"
    GAN(**TINY, seed=0, discrete="count").fit(make_table(400, seed=3), out=out, progress=False)
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_write_exactly_n_rows_reproducibly(run_dir, tmp_path, suffix):
    run = load(run_dir).run_
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    paths = [tmp_path / f"{name}{suffix}" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (5, 5, 6)):
        assert write_table_samples(run, path, 2_345, seed, rows=1_000) == 2_345  # chunks of 1000, 1000, 345
    first, again, other = (read(path) for path in paths)
    assert len(first) == 2_345 and list(first.columns) == ["bimodal", "count", "colour", "label", "site"]
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert not first.iloc[:1000].reset_index(drop=True).equals(first.iloc[1000:2000].reset_index(drop=True))


def test_one_chunk_equals_sample_and_seeds_are_distinct():
    assert chunk_seed(7, 0) == 7 and len({chunk_seed(7, i) for i in range(1, 200)}) == 199
    assert chunk_seed(7, 1) != chunk_seed(8, 1) and 0 <= chunk_seed(-3, 5) < 2**62
    # 12 bytes per encoded number in flight: a narrow row takes the largest chunk, a wide one a smaller one.
    assert chunk_rows(40) == MAX_CHUNK_ROWS and chunk_rows(5_000) == 256 * 2**20 // 60_000
    assert chunk_rows(10**7) == MIN_CHUNK_ROWS


def test_sample_to_file_small_n_equals_sample(run_dir, tmp_path):
    gan = load(run_dir)
    path = gan.sample_to_file(tmp_path / "s.csv", 300, seed=9)
    assert path.read_text() == gan.sample(300, seed=9).to_csv(index=False)


def test_where_and_no_copies_hold_in_every_chunk(run_dir, tmp_path):
    run = load(run_dir).run_
    write_table_samples(run, tmp_path / "w.parquet", 2_500, 1, where={"label": "1", "colour": "violet"}, rows=1_000)
    rows = pd.read_parquet(tmp_path / "w.parquet")
    assert len(rows) == 2_500 and (rows["label"] == 1).all() and (rows["colour"] == "violet").all()
    assert not run.encoder.copies(rows).any()


def test_cli_large_n_in_chunks_with_a_bar(capsys, run_dir, tmp_path):
    code, out, err = cli(capsys, "sample", run_dir, "-n", str(MAX_CHUNK_ROWS + 10), "-o", tmp_path / "big.csv")
    assert code == 0, err
    assert "sampling" in err and f"wrote {MAX_CHUNK_ROWS + 10} samples" in out
    assert sum(1 for _ in open(tmp_path / "big.csv")) == MAX_CHUNK_ROWS + 11  # the header and n rows


def test_a_failure_leaves_the_earlier_file_whole(capsys, run_dir, tmp_path, monkeypatch):
    target = tmp_path / "keep.csv"
    target.write_text("an earlier file\n")
    result = cli(capsys, "sample", run_dir, "-n", "100", "-o", target, "--overwrite", "--where", "colour=purple")
    assert_user_error(result, "purple")
    import ganforge.chunked_sampling as chunked

    calls = []

    def failing(run, n, seed, where=None, allow_copies=False):  # the second chunk fails (a full disk, a kill)
        calls.append(n)
        if len(calls) == 2:
            raise OSError("no space left on device")
        return chunked.sample_table(run, n, seed, where, allow_copies)

    monkeypatch.setattr(chunked, "sample_table", failing)
    monkeypatch.setattr(chunked, "MAX_CHUNK_ROWS", 1_024)
    with pytest.raises(OSError):
        load(run_dir).sample_to_file(target, 2_500, seed=0, overwrite=True)
    assert calls == [1_024, 1_024]
    assert target.read_text() == "an earlier file\n" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_an_existing_file_needs_overwrite(run_dir, tmp_path):
    from ganforge.errors import UserError

    (tmp_path / "x.parquet").write_text("mine")
    with pytest.raises(UserError, match="exists; use --overwrite"):
        load(run_dir).sample_to_file(tmp_path / "x.parquet", 10)
    with pytest.raises(UserError, match=r"\.csv or \.parquet"):
        load(run_dir).sample_to_file(tmp_path / "x.txt", 10)
    assert (tmp_path / "x.parquet").read_text() == "mine" and not (tmp_path / "x.txt").exists()
