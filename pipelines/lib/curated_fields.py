"""The columns of a curated file and the fields it may set: plain data, so that the `flopcast`
command can list them in its help without importing polars (pipelines/lib/curated.py uses them)."""

META_COLUMNS = ("action", "model_id", "model", "citation", "note", "author", "date")
# field -> (kind, {unit spelling: factor to our unit}); a "list" field is written comma-separated
# ("Google, DeepMind") and applied as the list column it is in the warehouse.
FIELDS: dict[str, tuple[str, dict[str, float]]] = {
    "publication_date": ("date", {}),
    "organization": ("list", {}),
    "country": ("list", {}),
    "domain": ("list", {}),
    "training_compute_flop": ("number", {"flop": 1.0, "flops": 1.0}),
    "training_cost_usd": ("number", {"usd": 1.0, "$": 1.0, "usd (2023)": 1.0}),
    "training_tokens": ("number", {"tokens": 1.0, "token": 1.0}),
    "parameters": ("number", {"parameters": 1.0, "params": 1.0}),
    "training_power_w": ("number", {"w": 1.0, "kw": 1e3, "mw": 1e6, "gw": 1e9}),
}
