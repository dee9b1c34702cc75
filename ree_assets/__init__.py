"""ree_assets: the evidence on China's rare-earth export restrictions as Dagster assets.

No usage data leaves the machine, whatever command runs the project: Great Expectations'
analytics are off here (dbt's are off in ``dbt_project.yml``, Dagster's in the instance's
``dagster.yaml``)."""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
