"""The one exception type for user mistakes: the CLI prints it as `error: ...` and exits 2."""


class UserError(ValueError):
    """Bad input from the user (a path, a name, a value, a file). The message is one plain line."""


class DataWarning(UserWarning):
    """Data a model can train on but learn little from; the CLI prints it as one `warning: ...` line."""
