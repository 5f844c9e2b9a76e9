"""The models' column docs, written once: a YAML file beside each model (`<model>.yml`: its
description and each column's, in the model's column order). sql/README.md's column lists,
the dbt package's `schema.yml` and the marts' contract test all read them from here."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ModelError
from .sql_files import model_files, sql_root


@dataclass
class ModelDoc:
    name: str
    description: str
    columns: dict[str, str]


def model_docs(sql_dir: Path | None = None) -> dict[str, ModelDoc]:
    """Every model's docs, in build-folder order (staging, then marts), by model name."""
    docs = {}
    for sql in model_files(sql_dir or sql_root()):
        path = sql.with_suffix(".yml")
        if not path.exists():
            continue
        try:
            loaded = yaml.safe_load(path.read_text())
            docs[sql.stem] = ModelDoc(
                sql.stem,
                str(loaded["description"]).strip(),
                {str(k): str(v).strip() for k, v in loaded["columns"].items()},
            )
        except (yaml.YAMLError, KeyError, TypeError, AttributeError) as e:
            raise ModelError(
                f"{path.name} is not a model's docs (description, columns): {e}"
            ) from None
    return docs
