"""The member table (会员客户分级管理表格) and the list views users save of it.

``table`` reads the table (scoped, filtered, sorted, keyset-paged), ``models`` / ``services`` /
``selectors`` keep saved views, ``export`` writes exactly the current view to a file.
"""
