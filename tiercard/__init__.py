"""tiercard — 分级客户管理卡系统."""

__version__ = "0.1.0"
