"""What a run reports: the comparison table (markdown and rich) and the training-curve plot."""

from __future__ import annotations

from pathlib import Path

from projnet.atomic_io import atomic_write_text, atomic_write_with

COLUMNS = ("model", "accuracy", "agreement", "size", "p50", "peak RSS", "ops")


def _kb(size_bytes: float | None) -> str:
    """A file size as people read it: KB below a megabyte, MB above."""
    if size_bytes is None:
        return "-"
    return f"{size_bytes / 1024:.1f} KB" if size_bytes < 1024 * 1024 else f"{size_bytes / 1024 ** 2:.1f} MB"


def table_rows(metrics: dict) -> list[tuple[str, ...]]:
    """trainer vs student float vs student int8, the figures a user compares."""
    trainer, tf_float = metrics["trainer"], metrics["trainer_float"]
    rows = [("trainer float", f"{trainer['accuracy']:.4f}", "-", _kb(tf_float["size_bytes"]),
             f"{tf_float['latency_us']['p50']:.1f} us", f"{tf_float['peak_rss_mb']:.1f} MB",
             str(len(tf_float["ops"])))]
    quant = metrics.get("quant", "int8")
    for key, label in (("student_float", "student float"), (f"student_{quant}", f"student {quant}")):
        m = metrics[key]
        rows.append((label, f"{m['accuracy']:.4f}", f"{m['agreement']:.4f}", _kb(m["size_bytes"]),
                     f"{m['latency_us']['p50']:.1f} us", f"{m['peak_rss_mb']:.1f} MB", str(len(m["ops"]))))
    for b in trained_baselines(metrics):  # the plain alternatives trained in the same run
        rows.append((f"baseline int8 ({b.get('label') or str(b['size']) + ' buckets'})", f"{b['accuracy']:.4f}", "-",
                     _kb(b["size_bytes"]), "-", "-", "-"))
    return rows


FAMILY_NAMES = {"hashed_linear": "hashed TF-IDF linear", "embedding_bag": "embedding bag", "mlp": "plain MLP",
                "cnn": "tiny CNN"}


def trained_baselines(metrics: dict) -> list[dict]:
    """Every baseline the run trained (runs before image baselines stored one, under "baseline")."""
    if "baselines" in metrics:
        return metrics["baselines"]
    return [metrics["baseline"]] if metrics.get("baseline") else []


def baseline_sentence(metrics: dict) -> list[str]:
    """Whether the student beats the most accurate plain baseline that fits its size."""
    if "baseline" not in metrics:
        return []
    quant = metrics.get("quant", "int8")
    student, b = metrics[f"student_{quant}"], metrics["baseline"]
    if b is None:
        return ["", f"No plain baseline fits in the student's {_kb(student['size_bytes'])}."]
    lead = 100 * (student["accuracy"] - b["accuracy"])
    verdict = "ahead of" if lead > 0 else "level with" if lead == 0 else "behind"
    name = f"{FAMILY_NAMES.get(b['family'], b['family'])}, {b.get('label') or str(b['size']) + ' buckets'}"
    return ["", f"Baselines trained in this run on the same inputs, splits and converter, each the largest that fits "
            f"the student's {_kb(student['size_bytes'])}; the best is the {name}: int8 {b['accuracy']:.4f} at "
            f"{_kb(b['size_bytes'])}. The student is {abs(lead):.2f} points {verdict} it"
            + (": at this size a user would ship the baseline." if lead < 0 else ".")]


def teacher_sentence(teacher: dict | None) -> str:
    if not teacher:
        return ""
    how = "fine-tuned with the student" if teacher["trainable"] else "frozen"
    return (f" The trainer is your teacher `{teacher['path']}` ({teacher['params']} parameters, outputs "
            f"{teacher['outputs']}, {how}; SHA-256 `{teacher['sha256']}`).")


def data_lines(data: dict | None) -> list[str]:
    if not data:
        return []
    rows = data["rows"]
    lines = ["", f"Data: {data['name']}" + (f" ({data['description']})" if data["description"] else "") +
             f", {len(data['classes'])} classes, {rows['train']} / {rows['validation']} / {rows['test']} rows "
             f"(train / validation / test), read from {data['source']}."]
    lines += [f"- `{f['path']}`: {f.get('files', 1)} file(s), {f['bytes']} bytes, SHA-256 `{f['sha256']}`"
              for f in data["files"]]
    if "scaling" in data:
        lines.append("- Inputs were scaled per column to the training split's range, `(x - subtract) * multiply`; "
                     "metrics.json `data.scaling` holds the map the device must apply.")
    return lines


def render_markdown(metrics: dict) -> str:
    rows = table_rows(metrics)
    lines = [f"# projnet run: {metrics['dataset']}", "",
             f"Student: {metrics['student']['bits']} projection bits, {metrics['student']['params']} parameters; "
             f"trainer: {metrics['trainer']['params']} parameters. Keras test accuracy: trainer "
             f"{metrics['trainer']['accuracy']:.4f}, student {metrics['student']['accuracy']:.4f}."
             + teacher_sentence(metrics.get("teacher")), "",
             "Accuracy on the test split; agreement: argmax equal to the Keras student's; p50: latency of one "
             "inference; peak RSS: the benchmark process's high-water memory.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += baseline_sentence(metrics)
    quant = metrics.get("quant", "int8")
    int8 = metrics[f"student_{quant}"]
    lines += data_lines(metrics.get("data"))
    lines += ["", f"Size ratio student {quant} / trainer float: {metrics['size_ratio_int8_to_trainer']:.4f}.",
              f"Projection bits that differ from Keras on the test split: float .tflite "
              f"{metrics['student_float']['bit_flip_rate']:.4%}, {quant} .tflite {int8['bit_flip_rate']:.4%} "
              f"(int8 quantizes a float input before the projection; integer ids are hashed exactly).",
              f"Student {quant} ops: {', '.join(sorted(set(int8['ops'])))} (all TFLite builtins).",
              f"Latency: {metrics['bench']['runtime']}, {metrics['bench']['threads']} thread(s), "
              f"{metrics['bench']['machine']}, one process per model.", "",
              "![training curves](training_curves.png)", ""]
    return "\n".join(lines)


def write_report(path: Path, metrics: dict) -> None:
    atomic_write_text(path, render_markdown(metrics))


def rich_table(metrics: dict, width: int = 100):
    """The run's table for a terminal `width` columns wide: one row per model, or stacked when too narrow."""
    from projnet.screen_table import fitted_table

    return fitted_table(f"projnet: {metrics['dataset']}", list(COLUMNS), [list(r) for r in table_rows(metrics)], width)


def plot_training_curves(history: list[dict], path: Path) -> None:
    """Loss terms and validation accuracy of both networks per epoch, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("loss", "trainer_ce", "student_ce", "distillation", "mixup_distillation", "synthetic_loss"):
        if all(row.get(key, 0) > 0 for row in history):  # the pipelined engines log other terms; log axis
            loss_ax.plot(epochs, [row[key] for row in history], label=key)
    loss_ax.set(xlabel="epoch", ylabel="training loss (mean over epoch)", yscale="log", title="objective")
    loss_ax.legend()
    for key, label in (("trainer_val_accuracy", "trainer"), ("student_val_accuracy", "student")):
        acc_ax.plot(epochs, [row[key] for row in history], label=label)
    acc_ax.set(xlabel="epoch", ylabel="validation accuracy", title="validation")
    acc_ax.legend()
    fig.tight_layout()
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)
