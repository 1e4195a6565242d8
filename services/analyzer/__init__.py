"""The analyzer: group, classify, score and trend errors."""

from services.analyzer.library import Classification, ErrorAnalyzer, TrendReport

__all__ = ["Classification", "ErrorAnalyzer", "TrendReport"]
