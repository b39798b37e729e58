"""The interpreter pip runs in: its facts, pip's config and trust, running its pip."""
