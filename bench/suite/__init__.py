"""The benchmark's parts: the systems, the workloads, the scenarios by family, and the report (``run.py`` runs them)."""
