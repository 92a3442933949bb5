"""The workspace quota catalogue: which resources a workspace has quotas for.

Only ``exemlProject.gpu_duration`` (with ``min_quota`` -1 and ``max_quota`` 60000, in
minutes) is documented. The others follow the same naming pattern for the ModelArts
resource kinds that the delete permission lists (training jobs, notebooks, real-time
services) and are this mock's choice (docs/modelarts.md, "Quotas").
"""

from __future__ import annotations

from dataclasses import dataclass

UNLIMITED = -1


@dataclass(frozen=True)
class QuotaResource:
    resource: str
    name_en: str
    name_cn: str
    unit_en: str
    unit_cn: str
    min_quota: int
    max_quota: int

    def accepts(self, value: int) -> bool:
        """-1 (unlimited), or a positive integer within [min_quota, max_quota]."""
        if value == UNLIMITED:
            return True
        return value >= 1 and self.min_quota <= value <= self.max_quota


CATALOGUE: tuple[QuotaResource, ...] = (
    QuotaResource("exemlProject.gpu_duration",
                  "ExeML training duration (image classification, object detection, and sound classification)",
                  "自动学习训练时长（图像分类、物体检测、声音分类）", "minute", "分钟", -1, 60000),
    QuotaResource("exemlProject.cpu_duration", "ExeML training duration (predictive analytics)",
                  "自动学习训练时长（预测分析）", "minute", "分钟", -1, 60000),
    QuotaResource("trainJob.gpu_duration", "Training job duration (GPU)", "训练作业时长（GPU）",
                  "minute", "分钟", -1, 6000000),
    QuotaResource("trainJob.cpu_duration", "Training job duration (CPU)", "训练作业时长（CPU）",
                  "minute", "分钟", -1, 6000000),
    QuotaResource("notebook.gpu_duration", "Notebook duration (GPU)", "开发环境时长（GPU）",
                  "minute", "分钟", -1, 6000000),
    QuotaResource("notebook.cpu_duration", "Notebook duration (CPU)", "开发环境时长（CPU）",
                  "minute", "分钟", -1, 6000000),
    QuotaResource("service.gpu_duration", "Real-time service duration (GPU)", "在线服务时长（GPU）",
                  "minute", "分钟", -1, 6000000),
    QuotaResource("service.cpu_duration", "Real-time service duration (CPU)", "在线服务时长（CPU）",
                  "minute", "分钟", -1, 6000000),
)
BY_RESOURCE: dict[str, QuotaResource] = {item.resource: item for item in CATALOGUE}
