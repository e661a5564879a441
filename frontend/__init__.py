"""The frontend ES modules, installed as package data of tb_attrib."""
