"""One way to put a table of figures on a terminal of any width without losing a number.

Wide enough: one row per item, every figure column as wide as its widest cell, the first (name)
column folding. Too narrow (a phone's ssh client, a split tmux pane): one block per item, a line per
figure. Used by the run's table and by `projnet bench`.
"""

from __future__ import annotations

from rich.table import Table

NAME_MIN_WIDTH = 12  # below this a folded name is unreadable, so the table stacks instead


def fitted_table(title: str, columns: list[str], rows: list[list[str]], width: int, caption: str | None = None):
    """`rows` of strings, the first cell the item's name; laid out for a terminal `width` columns wide."""
    widest = [max(len(column), *(len(row[i]) for row in rows)) if rows else len(column)
              for i, column in enumerate(columns)]
    needed = NAME_MIN_WIDTH + sum(widest[1:]) + 3 * len(columns) + 1
    if width < needed:
        table = Table(title=title, caption=caption, show_header=False)
        table.add_column("figure", no_wrap=False, overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        for row in rows:
            table.add_row(f"[bold]{row[0]}[/bold]", "", end_section=False)
            for column, cell in zip(columns[1:], row[1:]):
                table.add_row(f"  {column}", cell, end_section=column == columns[-1])
        return table
    table = Table(title=title, caption=caption)
    table.add_column(columns[0], justify="left", overflow="fold", ratio=1, min_width=NAME_MIN_WIDTH)
    for column, cells_width in zip(columns[1:], widest[1:]):
        table.add_column(column, justify="right", no_wrap=True, min_width=cells_width)
    for row in rows:
        table.add_row(*row)
    return table
