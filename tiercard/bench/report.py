"""The benchmark's readable report: one table per backend, then the agreement check."""

from __future__ import annotations

from typing import Any


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "missing"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MiB":
        return f"{value:,.0f} MiB" if value >= 10 else f"{value:.1f} MiB"
    return f"{value:.3f} s" if value < 100 else f"{value:,.0f} s"


def _verdict(passed: bool | None, target: str | None) -> str:
    if target is None:
        return ""
    return {True: "pass", False: "FAIL", None: "—"}[passed]


def backend_table(name: str, result: dict[str, Any]) -> list[str]:
    rows = [("figure", "ours", "reference", "ratio", "target", "")]
    for f in result["figures"]:
        reference = "" if f["reference"] is None else _number(f["reference"], f["unit"])
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.2f}x"
        rows.append(
            (
                f["name"],
                _number(f["ours"], f["unit"]),
                reference,
                ratio,
                f["target"] or "",
                _verdict(f["pass"], f["target"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{name}:"]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    tiers = result["tiers"]
    agree = "yes" if result["agree"] else "NO"
    lines.append(f"  tier counts, ours:      {_counts(tiers['ours'])}")
    lines.append(f"  tier counts, reference: {_counts(tiers['reference'])}")
    totals = result["totals"]
    for side in ("ours", "reference"):
        t = totals[side]
        lines.append(
            f"  window spend / orders / growth, {side + ':':10} "
            f"{t['spend']} / {t['orders']:,} / {t['growth']:,}"
        )
    lines.append(f"  agree: {agree}")
    if result["missing"]:
        lines.append(f"  not in this build yet: {', '.join(result['missing'])}")
    return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in counts.items())


def render(result: dict[str, Any]) -> str:
    head = (
        f"tiers benchmark: {result['customers']:,} customers, {result['purchases']:,} purchases, "
        f"as of {result['today']}, {result['cpus']} CPUs"
    )
    lines = [head, ""]
    for name, backend in result["backends"].items():
        lines.extend(backend_table(name, backend))
        lines.append("")
    lines.append(
        "all targets met" if result["pass"] else "some targets not met (or figures missing)"
    )
    return "\n".join(lines)
