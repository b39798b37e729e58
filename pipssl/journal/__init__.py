"""Safe writes for ``repair`` and their exact undo: atomic, backed up, journaled, locked.

A :class:`Transaction` backs up each file before it replaces or removes it, and its
``commit`` appends one :class:`Record` to ``journal.json`` in pipssl's private state
directory.  Before each write the journal already holds a *pending* record naming the
file, its backup and the content about to be written (write-ahead), so a process killed
at any step leaves enough behind to put things back: the next transaction or ``undo``
rolls an interrupted one back before doing anything else.

:func:`undo_next` puts back what the newest record changed, but only files that still
hold what pipssl wrote: anything else means someone edited it since, and overwriting
their work would be worse than doing nothing (the record is *blocked* then, until the
user puts pipssl's version back or :func:`drop` drops it).  A record whose files were
all put back by hand is dropped on the way.  :func:`undo_stack` lists every record with
where its files stand.

The journal holds paths, SHA-256 digests and backup paths, never file contents.

Modules: :mod:`~pipssl.journal.state` (state directory, lock), :mod:`~.records` (the
journal file), :mod:`~.fileops` (reading and removing files), :mod:`~.status` (where
each file stands now), :mod:`~.transaction`, :mod:`~.recover` (recovery after a kill),
:mod:`~.rollback` (undo, drop).

Import each from its own module: this package loads none of them, so that ``doctor``,
which only needs the state directory, does not load the journal's machinery.
"""
