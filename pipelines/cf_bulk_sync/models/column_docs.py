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


START, END = "<!-- column docs: start -->", "<!-- column docs: end -->"


def readme_block(docs: dict[str, ModelDoc], folders: dict[str, str]) -> str:
    """The column lists of sql/README.md: per folder, each model's description and a table
    of its columns. `folders` maps a model name to its folder."""
    lines = [
        START,
        "<!-- written by `python -m cf_bulk_sync.models.column_docs`: edit the"
        " YAML files beside the models, not this block -->",
        "",
    ]
    for folder in dict.fromkeys(folders.values()):
        lines += [f"## {folder}/", ""]
        for name, doc in docs.items():
            if folders[name] != folder:
                continue
            lines += [f"### `{name}`", "", doc.description, "", "| column | |", "|---|---|"]
            lines += [f"| `{column}` | {text} |" for column, text in doc.columns.items()]
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


def with_readme_block(readme: str, block: str) -> str:
    """`readme` with its column-docs block replaced by `block`."""
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[:start] + block + readme[end:]


def main() -> None:
    """Rewrites the column-docs block of the checkout's sql/README.md."""
    root = sql_root()
    docs = model_docs(root)
    folders = {path.stem: path.parent.name for path in model_files(root)}
    readme = root / "README.md"
    readme.write_text(with_readme_block(readme.read_text(), readme_block(docs, folders)))


if __name__ == "__main__":
    main()
