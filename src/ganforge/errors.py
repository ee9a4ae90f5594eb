"""The one exception type for user mistakes: the CLI prints it as `error: ...` and exits 2."""

import json
import os
import time


class UserError(ValueError):
    """Bad input from the user (a path, a name, a value, a file). The message is one plain line."""


class DataWarning(UserWarning):
    """Data a model can train on but learn little from; the CLI prints it as one `warning: ...` line."""


def announce_error(message: str) -> bool:
    """Whether this process prints a user error: outside torchrun yes; inside, rank 0 alone.

    Under torchrun every rank also leaves the line in its error file (TORCHELASTIC_ERROR_FILE), so
    torchrun's failure report names it as the cause, without a traceback, whichever rank failed.
    """
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if path:
        line = f"error: {message}"
        data = {"message": {"message": line, "extraInfo": {"py_callstack": line, "timestamp": str(int(time.time()))}}}
        try:
            with open(path, "w") as handle:
                json.dump(data, handle)
        except OSError:
            pass  # the report then says N/A; rank 0's line still stands
    return os.environ.get("RANK", "0") == "0"
