"""How the bundled snapshots were added: copy byte-exact files from ../shared/data/raw/.

Run once per new snapshot (`.venv/bin/python sources/bundle_from_shared.py`); existing version
folders are never overwritten. Origins below restate the `.source.md` notes copied beside each file.
"""

from pathlib import Path

from pipelines.lib.sources import SourceError, write_snapshot

HERE = Path(__file__).resolve().parent
RAW = HERE.parent.parent / "shared" / "data" / "raw"
EPOCH_CITATION = "Epoch AI, 'Data on AI Models'. Published online at epoch.ai. Retrieved from 'https://epoch.ai/data/ai-models' [online resource]."
CC_BY = {"license": "CC BY 4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/"}

BUNDLE = [
    ("epoch_notable_models", "2026-07-19", "epoch_notable_ai_models", {
        "title": "Notable AI Models", "producer": "Epoch AI", "url": "https://epoch.ai/data/notable_ai_models.csv",
        "citation": EPOCH_CITATION, **CC_BY, "retrieved": "2026-07-19",
        "copied_from": {"repository": "https://github.com/spragada4/ai-energy-explorer", "path": "data/raw/notable_ai_models.csv",
                        "commit": "22699c8b2572068706dedd4397c1bff5e8dadf80"}}),
    ("epoch_ml_hardware", "2026-07-19", "epoch_ml_hardware", {
        "title": "Machine Learning Hardware", "producer": "Epoch AI", "url": "https://epoch.ai/data/ml_hardware.csv",
        "citation": "Epoch AI, 'Data on Machine Learning Hardware'. Published online at epoch.ai. Retrieved from 'https://epoch.ai/data/machine-learning-hardware' [online resource].",
        **CC_BY, "retrieved": "2026-07-19",
        "copied_from": {"repository": "https://github.com/spragada4/ai-energy-explorer", "path": "data/raw/ml_hardware.csv",
                        "commit": "22699c8b2572068706dedd4397c1bff5e8dadf80"}}),
    ("epoch_gpu_clusters", "2025-11-16", "epoch_gpu_clusters", {
        "title": "GPU Clusters (AI Supercomputers)", "producer": "Epoch AI", "url": "https://epoch.ai/data/gpu_clusters.csv",
        "citation": "Epoch AI, 'Data on GPU Clusters'. Published online at epoch.ai. Retrieved from 'https://epoch.ai/data/gpu-clusters' [online resource].",
        **CC_BY, "retrieved": "2025-11-16",
        "copied_from": {"repository": "https://github.com/aloupaslbs/Data-Viz", "path": "gpu_clusters.csv",
                        "commit": "8cfe3d75826906b4e3e7b43a991235b0ce04aaa5"}}),
    ("fred_ppi_data_processing", "2025-07-30", "fred_pcu518210518210", {
        "title": "Producer Price Index by Industry: Data Processing, Hosting and Related Services (PCU518210518210)",
        "producer": "U.S. Bureau of Labor Statistics, via FRED (Federal Reserve Bank of St. Louis)",
        "url": "https://fred.stlouisfed.org/graph/fredgraph.csv?id=PCU518210518210",
        "citation": "U.S. Bureau of Labor Statistics, Producer Price Index by Industry: Data Processing, Hosting and Related Services [PCU518210518210], retrieved from FRED, Federal Reserve Bank of St. Louis.",
        "license": "Public domain (US government data); FRED asks for citation", "license_url": "https://fred.stlouisfed.org/legal/",
        "retrieved": "2025-07-30",
        "copied_from": {"repository": "https://github.com/epoch-research/training-cost-trends", "path": "data/PCU518210518210.csv",
                        "commit": "107575861481c1450a065ee1ee6680120a636647"}}),
    ("ember_country_electricity", "2025-05-21", "ember_country_overview_yearly", {
        "title": "Yearly Electricity Data: country overview", "producer": "Ember",
        "url": "https://raw.githubusercontent.com/ember-climate/ember-data-api/main/data/api_country_overview_yearly.csv",
        "citation": "Ember (2025), Yearly Electricity Data. https://ember-climate.org/data/global-electricity/", **CC_BY,
        "retrieved": "2025-05-21",
        "copied_from": {"repository": "https://github.com/ember-climate/ember-data-api", "path": "data/api_country_overview_yearly.csv",
                        "commit": "ae39f58784e483c1febab076a03c2af70edd3b70"}}),
]

if __name__ == "__main__":
    for source, version, stem, origin in BUNDLE:
        try:
            snap = write_snapshot(HERE, source, version, (RAW / f"{stem}.csv").read_bytes(), origin,
                                  provenance_note=(RAW / f"{stem}.source.md").read_text(encoding="utf-8"))
            print(f"added {source}/{version}: {snap.manifest['file']['rows']} rows, sha256 {snap.sha256[:12]}")
        except SourceError as exc:
            print(f"skipped: {exc}")
