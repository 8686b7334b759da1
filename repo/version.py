from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("muniment")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+checkout"

AGENT = f"Muniment {__version__}"
