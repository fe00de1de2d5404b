"""Errors that cross layers: the store raises them, and ``train/`` (which does not import the
store) catches them when it reads the room's drawings or a run's model through a caller's store."""


class StoreError(RuntimeError):
    """The store cannot be used just now. ``str()`` is safe to show anyone (no server path, no
    URL); ``detail`` says more, for the server log and the presenter."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message
