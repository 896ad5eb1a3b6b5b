"""What a run prints: the main table and each scenario's table or paragraph."""

from __future__ import annotations


def steered_text(figures: dict) -> str:
    if "steered_cpu_percent" not in figures:
        return ""
    return (
        f"; with the loopback's receive path on the other core: {figures['steered_cpu_percent']}% "
        f"({figures['steered_kernel_percent']} in the kernel)"
    )


def formats_table(figures: dict, sizes: dict) -> str:
    found = figures["formats"]
    """Levels and going to a time, per layout."""
    rows = [
        f"| {name} | {f['levels_ns_per_line']} | {f['levels_right_share']:.2%} | {f['at_ms']} | "
        f"{'yes' if f['at_found_the_line'] else 'NO'} |"
        for name, f in found.items()
    ]
    size = next(iter(found.values()))["file_bytes"] / 1e6 if found else 0
    head = (
        f"Formats (ours), from `--scenario formats`: levels on a burst's batches, and `?at=` in a {size:,.0f} MB file\n"
        "| layout | levels (ns a line) | levels right | `?at=` (ms, median of 5) | first line of the second |\n"
        "|---|---|---|---|---|"
    )
    return "\n".join([head, *rows])


def logrotate_table(figures: dict, sizes: dict) -> str:
    found = figures["logrotate"]
    """The storms through the real logrotate, a row per configuration."""
    head = (
        f"Rotation storms through the real logrotate: {found['lines']:,} lines to {found['viewers']} viewers "
        f"each, {found['kills']} workers killed\n"
        "| configuration | rotations | lost by viewers | lost by logrotate | repeated | out of order | resets |\n"
        "|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {name} | {f['rotations']} | {f['lost_by_viewers']} | {f['lost_by_logrotate']} | {f['repeated']} "
        f"| {f['out_of_order']} | {f['resets']} |"
        for name, f in found["configurations"].items()
    ]
    return "\n".join([head, *rows])


def history_table(figures: dict, sizes: dict) -> str:
    """History (ours only): ``P/lines`` at three places in a small and a big file, and the browser's figures."""
    f, scrolled = figures["history"], sizes["scroll_back"]
    if "browser_error" in f:
        return "History: the browser part failed:\n" + f["browser_error"]
    big = f"{f['big_bytes'] / 1e9:.2f} GB" if f["big_bytes"] >= 1e8 else f"{f['big_bytes'] / 1e6:.0f} MB"
    worst = max(f[f"big_{w}_p50_ms"] / f[f"1mb_{w}_p50_ms"] for w in ("start", "middle", "end"))
    slowest = max(f[f"{s}_{w}_p50_ms"] for s in ("1mb", "big") for w in ("start", "middle", "end"))
    lines = [
        f"| P/lines, 200 lines (p50 / p99 ms) | 1 MB | {big} |",
        "|---|---|---|",
        *(
            f"| {where} | {f[f'1mb_{where}_p50_ms']} / {f[f'1mb_{where}_p99_ms']} "
            f"| {f[f'big_{where}_p50_ms']} / {f[f'big_{where}_p99_ms']} |"
            for where in ("start", "middle", "end")
        ),
        "",
        f"Big vs 1 MB, worst p50 ratio {worst:.2f}x (target within 2x: {'met' if worst <= 2 else 'MISSED'}); "
        f"slowest p50 {slowest} ms (target under 5 ms: {'met' if slowest < 5 else 'MISSED'}).",
        f"Go to a time (P/lines?from=<time>, 200 lines) in a {f['timed_bytes'] / 1e9:.2f} GB file of records: "
        f"p50 {f['to_time_p50_ms']} ms, worst of 41 {f['to_time_max_ms']} ms "
        f"(target under 50 ms: {'met' if f['to_time_max_ms'] < 50 else 'MISSED'}).",
        f"Chromium, jump to line 1 of the {big} file: p50 {f['to_line_1_p50_ms']} ms, worst {f['to_line_1_max_ms']} ms "
        f"(target under 300 ms: {'met' if f['to_line_1_max_ms'] < 300 else 'MISSED'}).",
        f"Chromium, after scrolling back {scrolled:,} lines: {f['elements_after']:,} line elements "
        f"(target under 10,000: {'met' if f['elements_after'] < 10_000 else 'MISSED'}), JS heap "
        f"{f['heap_mb_before']} MB before, {' / '.join(str(h) for h in f['heap_mb_during'])} MB along the way.",
    ]
    return "\n".join(lines)


def timeline_line(figures: dict, sizes: dict) -> str:
    f = figures["timeline"]
    return (
        f"Timeline (ours), {f['bytes'] / 1e6:,.0f} MB of logging records ({f['lines']:,} lines; grep -c '' counts "
        f"{f['grep_lines']:,} in {f['grep_seconds']} s): the first in {f['first_seconds']} s ({f['first_mb_per_s']:,} "
        f"MB/s; target 2 s), later ones p50 {f['later_p50_ms']} ms, max {f['later_max_ms']} ms (target 20 ms); "
        f"the index {f['index_kib']:,} KiB, {f['index_kib_per_gb']:,} KiB per GB (target 1,024); "
        f"{f['appended_lines']:,} lines appended ({f['read_on_lines']:,} counted) cost {f['read_on_us_per_line']} µs "
        f"of CPU a line to read on (the next timeline's CPU less the {f['answer_cpu_ms']} ms a timeline takes with "
        f"nothing to read on) against {f['stream_us_per_line']} µs to stream to one viewer "
        f"({f['read_on_share_of_streaming'] or 0:.1%}; target 2%)"
    )


def levels_line(figures: dict, sizes: dict) -> str:
    f = figures
    """What recognising levels costs a burst: its time per line against the burst's time per line."""
    parts = []
    for label, key in (("lines without a level", "burst"), ("logging records", "burst_levelled")):
        rate, cost = f[key]["lines_per_s"], f[key]["levels_ns_per_line"]
        share = cost / (1e9 / rate) if rate else float("nan")
        parts.append(f"{label}: {rate:,} lines/s, levels {cost} ns a line ({share:.1%} of a line's time)")
        if key == "burst_levelled":
            target = f"target at most 10%: {'met' if share <= 0.10 else 'MISSED'}"
    return f"Levels (ours), bursts of {f['burst']['lines']:,}: " + "; ".join(parts) + f" ({target})."


def search_table(figures: dict, sizes: dict) -> str:
    """Search (ours only, one gunicorn worker): MB/s next to grep and zgrep, first match, streams meanwhile."""
    f = figures["search"]
    if "browser_error" in f:
        return "Search: the browser part failed:\n" + f["browser_error"]
    lines = [
        f"| search, {f['big_bytes'] / 1e9:.2f} GB in the page cache | ours (MB/s) | tool | tool (MB/s) | x | matches |",
        "|---|---|---|---|---|---|",
    ]
    for label, row in f["searches"].items():
        same = (
            "same" if row["ours_matches"] == row["tool_matches"] else f"{row['ours_matches']} vs {row['tool_matches']}"
        )
        lines.append(
            f"| {label} | {row['ours_mb_per_s']:,} | {row['tool']} | {row['tool_mb_per_s']:,} "
            f"| {row['ours_mb_per_s'] / row['tool_mb_per_s']:.1f} | {same} |"
        )
    slowest = min(row["ours_mb_per_s"] / row["tool_mb_per_s"] for row in f["searches"].values())

    def met(yes: bool) -> str:
        return "met" if yes else "MISSED"

    lines += [
        "",
        f"Slowest against grep: {slowest:.1f}x its speed (target at least 1x: {met(slowest >= 1)}).",
        f"First match near the start of the file: {f['first_match_p50_ms']} ms p50, {f['first_match_max_ms']} ms "
        f"worst over HTTP; on screen in Chromium (on the same two cores) {f['first_match_screen_p50_ms']} ms p50, "
        f"{f['first_match_screen_p90_ms']} ms p90 (target under 100 ms: {met(f['first_match_screen_p90_ms'] < 100)}), "
        f"{f['first_match_screen_max_ms']} ms the worst of 20.",
        f"A live stream on the same worker (200 lines/s): p50 {f['stream_quiet_p50_ms']} ms / p99 "
        f"{f['stream_quiet_p99_ms']} ms with no search; p50 {f['stream_searching_p50_ms']} ms / p99 "
        f"{f['stream_searching_p99_ms']} ms during {f['searches_during']} back-to-back full scans with a regex "
        f"without literal ({f['hard_regex_mb_per_s']:,} MB/s); {f['stream_searching_share']:.0%} of its lines.",
    ]
    return "\n".join(lines)


def throughput_table(figures: dict, sizes: dict) -> str:
    f = figures["throughput"]
    if "browser_error" in f:
        return f"Throughput in Chromium: {f['browser_error']}"
    lines = [
        "| page | lines/s (80 bytes) | newest on screen p50 / p99 (ms) | worst frame gap (ms) | gaps over 50 ms "
        "| heap max (MB) | elements |",
        "|---|---|---|---|---|---|---|",
    ]
    theirs = f.get("frontail", {})
    rows = [("ours", row) for row in f["rates"]] + [("frontail", row) for row in theirs.get("rates", [])]
    for page, row in rows:
        lines.append(
            f"| {page} | {row['rate']:,} | {row['newest_on_screen_p50_ms']} / {row['newest_on_screen_p99_ms']} "
            f"| {row['worst_frame_gap_ms']} | {row['frame_gaps_over_50_ms']} | {row['heap_max_mb']} "
            f"| {row['elements']} |"
        )
    if "browser_error" in theirs:
        lines.append(f"\nfrontail: {theirs['browser_error']}")
    long = f.get("long", {})
    for row in long.get("rates", []):
        lines.append(
            f"\nOurs for {row['seconds']:g} s at {row['rate']:,} lines/s: newest on screen "
            f"{row['newest_on_screen_p50_ms']} / {row['newest_on_screen_p99_ms']} ms, worst frame gap "
            f"{row['worst_frame_gap_ms']} ms, {row['worst_frame_gap_at_s']} s in "
            f"({row['frame_gaps_over_50_ms']} over 50 ms), heap max "
            f"{row['heap_max_mb']} MB, at the end {row['heap_end_mb']} MB (target under 50 MB over a minute)"
        )
    if "browser_error" in long:
        lines.append(f"\nThe long run: {long['browser_error']}")
    return "\n".join(lines)


def table(rows: list, results: dict) -> str:
    """The main table: each scenario's rows (``scenarios.Row``), ours next to the original, with the targets."""
    ours, original = results["systems"]["ours"], results["systems"]["original"]
    sizes = results["sizes"]
    lines = ["| measure | ours | original | ratio | target |", "|---|---|---|---|---|"]
    for row in rows:
        a, b = row.value(ours, sizes), row.value(original, sizes)
        ratio = f"{b / a:.3g}x" if isinstance(a, int | float) and isinstance(b, int | float) and a and b else "-"
        target = ""
        if row.target is not None and not results["smoke"]:
            met = a is not None and (a <= row.target if row.lower_is_better else a >= row.target)
            target = f"{'≤' if row.lower_is_better else '≥'} {row.target:,}: {'met' if met else 'MISSED'}"
        lines.append(f"| {row.label(sizes)} | {a} | {b} | {ratio} | {target} |")
    return "\n".join(lines)


def machine_line(results: dict) -> str:
    m = results["machine"]
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}; run took {results['seconds']} s"
    )


def stalled_line(figures: dict, sizes: dict) -> str:
    f = figures["stalled"]
    return (
        f"Slow clients (ours): {f['readers']} readers that never read, a {f['burst_mb']} MB burst to their file: "
        f"{f['kib_per_stalled_reader']} KiB per stalled reader; a calm viewer of another file: "
        f"p50 {f['calm_p50_ms']} ms, p99 {f['calm_p99_ms']} ms, {f['calm_received_share']:.0%} of its lines"
    )


def idle_lines(figures: dict, sizes: dict) -> str:
    """Each idle run of ours, and the heartbeats' floor next to the largest."""
    lines = []
    for viewers in sizes["idle"] + sizes["idle_ours"]:
        f = figures.get(f"idle_{viewers}")
        if f:
            lines.append(
                f"Idle (ours), {viewers:,} viewers on a fresh server: {f['cpu_percent_of_one_core']}% of a core "
                f"({f['kernel_percent_of_one_core']} of it in the kernel), {f['kib_per_viewer']} KiB per viewer "
                f"(targets at 20,000: 2% and 24 KiB); the longest silence on an idle stream "
                f"{f.get('longest_silence_s')} s (at most the heartbeat)" + steered_text(f)
            )
        f = figures.get(f"idle_floor_{viewers}")
        if f:
            lines.append(
                f"The heartbeats alone to the same {viewers:,} viewers, from a bare loop of os.write (bench/floor.py): "
                f"{f['cpu_percent_of_one_core']}% of a core ({f['kernel_percent_of_one_core']} in the kernel)"
                + steered_text(f)
            )
    return "\n".join(lines)


def burst_million_line(figures: dict, sizes: dict) -> str:
    f = figures["burst_million"]
    return (
        f"Burst to one viewer (ours), the median of 5: {f['lines']:,} lines in {f['seconds']} s, "
        f"{f['lines_per_s']:,} lines/s (target 1,000,000), {'complete' if f['complete'] else 'INCOMPLETE'}, "
        f"{f['server_us_per_line']} µs of server CPU a line; all 5: "
        + ", ".join(f"{rate:,}" for rate in f.get("runs_lines_per_s", []))
    )


def relay_line(figures: dict, sizes: dict) -> str:
    f = figures["relay"]
    return (
        f"Relay (ours): a stream of node B through node A adds {f['added_p50_ms']} ms p50, "
        f"{f['added_p99_ms']} ms p99 (direct {f['direct']['p50_ms']} / {f['direct']['p99_ms']} ms, relayed "
        f"{f['relayed']['p50_ms']} / {f['relayed']['p99_ms']} ms); node A spends "
        f"{f['relay_cpu_percent_per_1000_lines_s']}% of a core per 1,000 lines/s relayed "
        f"(at {f['rate']:,} lines/s; node B, serving both streams, "
        f"{f['source_cpu_percent_per_1000_lines_s_two_streams']}%); a burst of {f['relayed_burst']['lines']:,} "
        f"lines through node A: {f['relayed_burst']['lines_per_s']:,} lines/s "
        f"(from node B itself: {f['direct_burst']['lines_per_s']:,})"
    )


def storm_lines(figures: dict, sizes: dict) -> str:
    f = figures["storm"]
    kinds = ", ".join(f"{count} {kind}" for kind, count in f["rotations"].items())
    h = figures["storm_handler"]
    return (
        f"Rotation storm (ours): {f['lines']:,} numbered lines to {f['viewers']} viewers in {f['seconds']} s; "
        f"{sum(f['rotations'].values())} rotations ({kinds}); {f['kills']} workers killed; "
        f"{f['reconnects']} resumes with a cursor. Lost {f['lost']}, repeated {f['repeated']}, "
        f"out of order {f['out_of_order']}; {f['gone_with_deleted_files']:,} were in a file deleted before the "
        f"viewer's stream reached it ({f['gone_with_files_deleted_while_away']:,} while the viewer was away).\n\n"
        f"Rotation storm, RotatingFileHandler(backupCount=3) (ours): {h['lines']:,} lines to {h['viewers']} "
        f"viewers away up to 2.5 s at a time, {sum(h['rotations'].values())} rollovers, {h['kills']} workers "
        f"killed, {h['resets']} resumes after the cursor's file was deleted. Lost {h['lost']}, repeated "
        f"{h['repeated']}, out of order {h['out_of_order']}; {h['gone_with_deleted_files']:,} deliveries were "
        f"in a file deleted before the viewer's stream reached it."
    )


def merged_line(figures: dict, sizes: dict) -> str:
    f = figures["merged"]
    return (
        f"Merged read-back (ours): 200 lines from about the middle of {f['files']} files of records "
        f"({f['bytes'] / 1e9:.2f} GB together), merged by time (P/lines?files=...&from=<time>): p50 {f['p50_ms']} ms, "
        f"worst of 41 {f['max_ms']} ms (target 20 ms: {'met' if f['max_ms'] <= 20 else 'MISSED'})"
        + "".join(
            f"; the merged page in Chromium at {rate['rate']:,} lines/s over the {f['files']} files: the newest "
            f"line on screen in {rate['newest_on_screen_p50_ms']} / {rate['newest_on_screen_p99_ms']} ms p50 / p99 "
            f"(targets 100 / 250 ms at 100,000), worst frame gap {rate['worst_frame_gap_ms']} ms"
            for rate in f["live"].get("rates", [])
        )
        + (f"; the browser part failed: {f['live']['browser_error']}" if "browser_error" in f["live"] else "")
    )
