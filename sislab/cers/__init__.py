"""CERS Student Groups: profiles, the five roster types, the CERS file with its pre-flight,
the list of extracted files, the scheduled process and the upload to TOMS (docs/cers.md).

The small public surface, used by the CLI, the notebooks and the tests alike:
"""

from .build import Build, Finding, build, eligible_staff, file_rows, group_summary, school_year_of
from .extract import Extract, check_file, chosen_profiles, create, extracted_file, extracted_files
from .process import demo, preview_school, process_schedules, schedule_process, scheduled_run
from .profiles import NotAllowed, Profile, ProfileError, delete, get, save, visible
from .upload import UploadError, UploadResult, credential_warning, upload_file

__all__ = [
    "Build", "Finding", "build", "eligible_staff", "file_rows", "group_summary", "school_year_of",
    "Extract", "check_file", "chosen_profiles", "create", "extracted_file", "extracted_files",
    "demo", "preview_school", "process_schedules", "schedule_process", "scheduled_run",
    "NotAllowed", "Profile", "ProfileError", "delete", "get", "save", "visible",
    "UploadError", "UploadResult", "credential_warning", "upload_file",
]
