"""Running `ganforge ARGS` in the test process, and checking a user error is one line with exit 2."""

import pytest

from ganforge.cli import main


def cli(capsys, *args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `ganforge ARGS`, run in this process."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def assert_user_error(result, *needles: str) -> str:
    code, _, err = result
    assert code == 2, err
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    return err
