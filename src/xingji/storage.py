"""Static files storage: hashed names when collected, plain names before."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's compressed, hashed storage, forgiving before ``collectstatic``.

    A fresh embedded install serves its pages before anyone has run
    ``collectstatic``: then a file has no hashed name yet, and its plain name
    is served by whitenoise through the static files finders
    (``WHITENOISE_USE_FINDERS``) instead of failing the page.
    """

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name
