"""The config file formats pipssl reads and edits, one module per format.

``ini`` is pip's own reading of its files (configparser), ``ini_lines`` where each line of
such a file belongs, ``ini_edit`` the one-option edits of pip's files; ``toml`` reads uv's
and poetry's files with ``tomllib`` (``tomli`` before Python 3.11) and sets one string in
them; ``condarc`` reads and sets one top-level key of conda's ``.condarc``.  Every edit
keeps each byte it does not mean to change and is proven by :mod:`pipssl.formats.edit`:
the text before and after, read with the format's own reader, differ in the one setting.
"""
