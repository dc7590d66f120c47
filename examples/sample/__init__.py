"""The sample workspace: a fictional online-course business."""
