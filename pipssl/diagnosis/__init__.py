"""From facts to findings: local checks, probes, classification, the report."""
