"""EOC Console: the server that wires the streams, gis and drills domain packages together."""

__version__ = "0.1.0"
