"""The concerns ``views.base.SecureModelView`` is composed of, one module each: who may open what
(``access``), which rows (``scope``), which rows a relation picker offers (``relations``), lists at scale
(``listing``), links to filtered lists and row links (``links``), 导出查询结果 (``export``), and what every
save and delete goes through (``audited_writes``)."""
