"""OneRoster 1.1 rostering feed: the writer, the checker (usable on any OneRoster zip) and the
diff between two feeds."""

from .checker import CheckReport, check_feed
from .diff import diff_feeds
from .job import FeedRun, build_and_check
from .writer import FeedOptions, build_feed

__all__ = ["CheckReport", "check_feed", "diff_feeds", "FeedRun", "build_and_check", "FeedOptions", "build_feed"]
