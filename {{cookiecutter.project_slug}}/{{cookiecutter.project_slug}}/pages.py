"""The pages: the index of files (and this node's list for the others), and the viewer."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, render_template, request

from . import family, history, levels, peers
from .services import services


def files_here() -> list[dict]:
    """This node's viewable files: name, size, last write, readable, compressed."""
    return [
        {
            "name": log_file.name,
            "size": info.st_size,
            "modified": datetime.fromtimestamp(info.st_mtime, UTC),
            "readable": log_file.readable,
            "compressed": bool(family.compression_of(log_file.name)),  # read through its log, or downloaded
        }
        for log_file, info in services().paths.listing()
    ]


def index() -> str:
    cluster = services().cluster
    here = peers.Node(cluster.node_name, "this node", "up", files_here())
    nodes = [here, *cluster.survey(request.headers)] if cluster.enabled else [here]
    for node in nodes[1:]:
        for file in node.files:
            file["modified"] = datetime.fromisoformat(file["modified"])
    return render_template(
        "log_viewer/index.html",
        nodes=nodes,
        cluster=cluster.enabled,
        title=services().title,
        directory_exists=services().paths.base.is_dir(),
    )


def files() -> Response:
    """This node's files, for the other nodes' index (never asks a peer: no loop)."""
    listed = [file | {"modified": file["modified"].isoformat()} for file in files_here()]
    return jsonify(node=services().cluster.node_name, files=listed)


def viewer_page(name: str | None, at: str | None, files: list[str] | None = None) -> str:
    """The viewer of ``name`` (``@node/path`` in a cluster: the page's requests reach that node), or of several
    ``files`` merged by time."""
    if at is not None and (name is not None or files):
        history.parse_at(at)  # a malformed one is refused here, not in the page
    node = peers.split(name)[0] if name else None
    return render_template(
        "log_viewer/viewer.html",
        path=name,
        files=",".join(files) if files else None,
        node=f"@{node}/" if node else "",
        at=at if name or files else None,
        level=levels.parse_level(request.args.get("level")),
        levels=levels.LEVELS,
        title=services().title,
        line_cap=services().opts.line_cap,
        merge=_merge_glob(name) if name else None,  # in a cluster, of its node: @node-b/*.log
    )


def _merge_glob(name: str) -> str:
    """The glob of a file's directory that a page offers to merge it with: its siblings of the same suffix."""
    directory, _, file_name = name.rpartition("/")
    suffix = file_name[file_name.rfind(".") :] if "." in file_name else ""
    return f"{directory}/*{suffix}" if directory else f"*{suffix}"


def view(path: str | None) -> str:
    if path is None and request.args.getlist("files"):
        named = services().named_files(request.args.getlist("files"))
        return viewer_page(None, request.args.get("at"), [entry.name for entry in named])
    log_file = services().paths.resolve(path) if path is not None else None
    name = log_file.name if log_file else None
    if name and services().cluster.enabled:
        name = f"@{services().cluster.node_name}/{name}"  # the same file whichever node the page's requests reach
    return viewer_page(name, request.args.get("at"))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", view_func=index)
    blueprint.add_url_rule("/files", view_func=files)
    blueprint.add_url_rule("/view/", view_func=view, defaults={"path": None})
    blueprint.add_url_rule("/view/<path:path>", view_func=view)
