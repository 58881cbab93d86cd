"""bagan_lib: the shared library behind the bagan-kit notebooks.

Importing the package is cheap and does not import TensorFlow, so that
:func:`bagan_lib.notebook_setup.start` can configure TensorFlow's logging and
oneDNN before TensorFlow is first imported.
"""

__version__ = "0.1.0"
