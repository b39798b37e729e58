"""The other installers on this machine: where uv, poetry, conda and requests-based tools
read their CA settings, and whether each would verify the index (pointing them at
pipssl's bundle is a repair's job: :mod:`pipssl.repairing.clients`).

Each client is one module holding all pipssl knows of it (its ``CLIENT``, a
:class:`~pipssl.clients.model.Client`): a small table of the places it reads, highest
precedence first (as :data:`pipssl.interpreter.pipconfig.OVERRIDE_ORDER` does for pip), every
value keeping where it came from; how a repair points it at a bundle; the interpreter
``run -- CLIENT`` installs into; how the real client is asked.
:mod:`~pipssl.clients.registry` lists them once (diagnosis, repair, ``run`` and the CLI
loop over it), :mod:`~pipssl.clients.model` holds the shared dataclasses and readers,
:mod:`~pipssl.clients.check` the detection and the probes, and
:mod:`pipssl.formats` the file readers and editors.  Nothing is imported here: the
CLI's parser reads the registry alone, before any child is started.
"""
