from projects.models.funding import FundingAward
from projects.models.projects import Health, PlanVersion, Project, ProjectState, SupportMode, TechnologyRoute
from projects.models.reference import Direction, Field, Policy, SupportMeasure, TaskCategory, Tier
from projects.models.tasks import KeyTaskList, Task, TaskListDirty, TaskStatus
from projects.models.teams import PMTeam, PMTeamMembership

__all__ = [
    "Direction",
    "Field",
    "FundingAward",
    "Health",
    "KeyTaskList",
    "TaskListDirty",
    "PMTeam",
    "PMTeamMembership",
    "PlanVersion",
    "Policy",
    "Project",
    "ProjectState",
    "SupportMeasure",
    "SupportMode",
    "Task",
    "TaskCategory",
    "TaskStatus",
    "TechnologyRoute",
    "Tier",
]
