"""Regenerate the pictures in docs/: each script's default run with --plot.

    python tools/make_gallery.py          # all scripts, about 2 minutes on 2 cores

Each script runs as a user would run it (a subprocess with its default flags), writes
docs/NAME.png and docs/NAME.json, and the one-line result printed here is the caption the
README shows next to the picture.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def caption(metrics: dict) -> str:
    """One line a reader can check against the picture."""
    pct = lambda x: f"{100 * x:.2f}%"  # noqa: E731
    name = metrics["script"]
    if name in ("echo_full", "echo_partial"):
        return (f"held-out sequence accuracy {pct(metrics['sequence_accuracy'])} after "
                f"{metrics['train_seconds']:.1f} s of training ({metrics['backend']})")
    if name == "reverse_bidirectional":
        return "; ".join(f"{model}: {', '.join(pct(a) for a in scores['per_position_accuracy'])}"
                         for model, scores in metrics["models"].items()) + " by position"
    if name == "stateful_alphabet":
        return "; ".join(f"{exp} {pct(scores['accuracy'])} (tutorial {scores['tutorial_accuracy']})"
                         for exp, scores in metrics["experiments"].items())
    return f"{len(metrics.get('shapes', metrics))} checks passed"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for script in sorted(ROOT.glob("*.py")):
        png, json_path = DOCS / f"{script.stem}.png", DOCS / f"{script.stem}.json"
        command = [sys.executable, script.name, "--quiet", "--examples", "0",
                   "--plot", str(png.relative_to(ROOT)), "--metrics", str(json_path.relative_to(ROOT))]
        print("$ python " + " ".join(command[1:]), flush=True)
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        print("  " + caption(json.loads(json_path.read_text())), flush=True)


if __name__ == "__main__":
    main()
