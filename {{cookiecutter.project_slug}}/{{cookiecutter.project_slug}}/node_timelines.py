"""The timeline of several files on several nodes (``P/timeline?files=a.log,@node-b/b.log``): one grid of buckets
for all, each node counting its own files in it.

Each node is asked first for its timeline as the request asks it, whose
``reach`` says the times its files cover and their coarsest granule; the grid is made over
all of them (``timeline.Grid``) from the coarsest granule of all (granules
divide one another, so every node's granules fit it), and each node is asked
again for exactly that grid. Its counts are summed bucket by bucket; a bucket's
line is this node's first line in it, else the first node's that has one.
"""

from __future__ import annotations

from collections.abc import Mapping

from .afar import Afar, timelines
from .family import Member
from .granules import Index
from .moments import exact
from .peers import Cluster
from .refused import Refused
from .timeline import Asked, Grid, answer, reach, unstamped


def across(
    name: str,
    files: list[tuple[Member, Index]],
    far: list[Afar],
    asked: Asked,
    query: Mapping[str, str],
    cluster: Cluster,
    headers: Mapping[str, str],
) -> dict:
    """The timeline of this node's ``files`` and of ``far`` (other nodes' files), together."""
    reaches = [covered] if (covered := reach(files, asked)) else []
    for theirs in timelines(cluster, far, query, headers):
        if theirs["buckets"]:
            reach_of = theirs["reach"]
            reaches.append((reach_of["from"], reach_of["to"], reach_of["granule_seconds"]))
    if not reaches:
        return unstamped(name)
    low, high = min(low for low, _high, _granule in reaches), max(high for _low, high, _granule in reaches)
    grid = Grid.over(low, high, max(granule for _low, _high, granule in reaches), asked.buckets)
    end = grid.origin + grid.count * grid.width - 1
    exactly = {**query, "buckets": str(grid.count), "from": exact(grid.origin), "to": exact(end)}
    together = answer(name, files, asked, grid)
    for theirs in timelines(cluster, far, exactly, headers):
        if not theirs["buckets"]:
            continue
        if theirs["bucket_seconds"] != grid.width or len(theirs["buckets"]) != grid.count:
            raise Refused(502, f"a node counted other buckets ({theirs['bucket_seconds']} s) than {grid.width} s")
        for bucket, their in zip(together["buckets"], theirs["buckets"], strict=True):
            counts = bucket["counts"]
            for level, n in their["counts"].items():
                counts[level] = counts.get(level, 0) + n
            bucket["at"] = bucket["at"] or their["at"]
    return together
