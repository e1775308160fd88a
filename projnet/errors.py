"""The two kinds of failure a projnet user can meet, mapped to exit codes by the CLI."""


class ProjnetError(Exception):
    """A domain error: missing or corrupt files, a model that can't run. Exit code 1."""

    exit_code = 1


class UsageError(ProjnetError):
    """The user asked for something ill-formed: unknown key, ill-typed or out-of-range value. Exit code 2."""

    exit_code = 2


class Interrupted(ProjnetError):
    """Ctrl-C after some work was kept (a bench's finished rows, say): exit 130, as shells report SIGINT."""

    exit_code = 130
