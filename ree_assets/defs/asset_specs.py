"""What the UI shows about every asset before it is materialised, applied to all asset specs in one
place (``annotate`` in ``definitions.py``) instead of in each decorator:

- the column schema (``dagster/column_schema``): name, ODCS logical type, description and the
  required/unique rules of each column of the table's contract in ``data_contracts/``. dbt models
  keep the schema dagster-dbt reads from the manifest, whose descriptions ``ree_assets.dbt_docs``
  copies from the same contracts;
- an owner, the team of the asset's stage (its group): ``team:io-table``, ``team:patents``, ...;
- tags: ``stage`` (the group), ``study`` (``afsv``, ``fvd``, or ``both`` for what feeds both
  replications) and ``data`` (the DuckDB schema the table lands in: raw, staging, core, marts,
  results).
"""

from collections.abc import Sequence

import dagster as dg

from ree_assets.sources.contracts import contract_column_docs, contract_path

#: Dagster's standard metadata keys of a table's columns and fully qualified name.
COLUMN_SCHEMA, TABLE_NAME = "dagster/column_schema", "dagster/table_name"
#: The group of the FVD replication; every other group but the report of both belongs to AFSV.
FVD_GROUP, REPORTS_GROUP = "spillovers", "reports"


def column_schema(table: str) -> dg.TableSchema | None:
    """The columns of the table's ODCS contract as a Dagster table schema (None without a contract)."""
    if not contract_path(table).is_file():
        return None
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.logical_type,
                description=column.description,
                constraints=dg.TableColumnConstraints(nullable=not column.required, unique=column.unique),
            )
            for column in contract_column_docs(table)
        ]
    )


def team(group: str) -> str:
    """The owner of a stage: ``team:`` and the group name in kebab case (``team:io-table``)."""
    return "team:" + group.replace("_", "-")


def data_layer(spec: dg.AssetSpec) -> str:
    """The DuckDB schema an asset is stored in: its ``schema`` metadata (Python assets) or the
    schema part of the relation dagster-dbt names (``ree.marts.patent_panel`` -> marts); for an
    asset that stores no table, the ``data`` tag it declares (``replication_report``: reports)."""
    if "data" in spec.tags:
        return spec.tags["data"]
    if "schema" in spec.metadata:
        return str(spec.metadata["schema"])
    table = spec.metadata.get(TABLE_NAME)
    if not isinstance(table, str):
        raise ValueError(f"asset {spec.key.to_user_string()} names no schema (metadata 'schema' or a dbt relation)")
    return table.split(".")[-2]


def studies(assets: Sequence[dg.AssetsDefinition]) -> dict[dg.AssetKey, str]:
    """The replication each asset serves: ``fvd`` for the spillovers group, ``afsv`` for the other
    groups, ``both`` for what is upstream of both (the patent pulls, ``synthetic_truth``) and for
    the report of both (group ``reports``, downstream of both)."""
    reports = dg.AssetSelection.groups(REPORTS_GROUP)
    fvd = dg.AssetSelection.groups(FVD_GROUP).upstream().resolve(assets)
    afsv = (dg.AssetSelection.all() - dg.AssetSelection.groups(FVD_GROUP) - reports).upstream().resolve(assets)
    both = (fvd & afsv) | reports.resolve(assets)
    return {key: "both" if key in both else "fvd" if key in fvd else "afsv" for key in fvd | afsv | both}


def annotate(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with their owner, tags and (from their contract) column schema."""
    study = studies(assets)

    def _annotated(spec: dg.AssetSpec) -> dg.AssetSpec:
        group = spec.group_name or "default"
        schema = None if COLUMN_SCHEMA in spec.metadata else column_schema(spec.key.path[-1])
        return spec.merge_attributes(
            owners=[team(group)],
            tags={"stage": group, "study": study[spec.key], "data": data_layer(spec)},
            metadata={COLUMN_SCHEMA: schema} if schema else {},
        )

    return list(dg.map_asset_specs(_annotated, assets))
