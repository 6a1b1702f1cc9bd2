"""Legal provisions and emission standards cited by the notices.

A notice cites (1) the provision of the 大气污染防治法 the problem violates and the one that
sets the legal consequence, with their text, chosen by the lead family of the case; (2) the
emission standard that sets the outlet's limit, chosen by the enterprise's industry; and
(3) the detecting rule's registered clause (``Rule.clause``) as the basis of the finding.

References
----------
.. [1] 《中华人民共和国大气污染防治法》(2015年修订, 2018年修正) 第十八条, 第二十条第二款,
       第二十四条第一款, 第二十九条, 第九十九条, 第一百条. Article texts transcribed from the
       2018 text; verify against the official gazette before relying on them (unverified
       transcription).
.. [2] GB 13223-2011 火电厂大气污染物排放标准; GB 13271-2014 锅炉大气污染物排放标准;
       GB 28662-2012 钢铁烧结、球团工业大气污染物排放标准; GB 16171-2012 炼焦化学工业污染物
       排放标准; GB 4915-2013 水泥工业大气污染物排放标准; GB 26453-2022 玻璃工业大气污染物
       排放标准; GB 41616-2022 印刷工业大气污染物排放标准; GB 18485-2014 生活垃圾焚烧污染
       控制标准; GB 31570-2015 石油炼制工业污染物排放标准; GB 16297-1996 大气污染物综合排放
       标准 (stack limits where no sector standard applies; GB 37822-2019 covers fugitive
       VOC and is not cited for stacks). Table numbers are those of the concentration limits
       as recalled, marked [unverified] in ../shared/research/regulations-and-rules.md §2
       where from memory.
"""

from __future__ import annotations

from dataclasses import dataclass

LAW = "《中华人民共和国大气污染防治法》"


@dataclass(frozen=True)
class Provision:
    """One article (or paragraph/item) of a law with its text."""

    law: str
    article: str
    text: str

    @property
    def citation(self) -> str:
        """``《中华人民共和国大气污染防治法》第十八条``."""
        return f"{self.law}{self.article}"


ART_18 = Provision(
    LAW,
    "第十八条",
    "企业事业单位和其他生产经营者建设对大气环境有影响的项目，应当依法进行环境影响评价、"
    "公开环境影响评价文件；向大气排放污染物的，应当符合大气污染物排放标准，遵守重点大气"
    "污染物排放总量控制要求。",
)
ART_20_2 = Provision(
    LAW,
    "第二十条第二款",
    "禁止通过偷排、篡改或者伪造监测数据、以逃避现场检查为目的的临时停产、非紧急情况下开启"
    "应急排放通道、不正常运行大气污染防治设施等逃避监管的方式排放大气污染物。",
)
ART_24 = Provision(
    LAW,
    "第二十四条第一款",
    "企业事业单位和其他生产经营者应当按照国家有关规定和监测规范，对其排放的工业废气和本法"
    "第七十八条规定名录中所列有毒有害大气污染物进行监测，并保存原始监测记录。其中，重点排污"
    "单位应当安装、使用大气污染物排放自动监测设备，与生态环境主管部门的监控设备联网，保证"
    "监测设备正常运行并依法公开排放信息。",
)
ART_29 = Provision(
    LAW,
    "第二十九条",
    "生态环境主管部门及其环境执法机构和其他负有大气环境保护监督管理职责的部门，有权通过现场"
    "检查监测、自动监测、遥感监测、远红外摄像等方式，对排放大气污染物的企业事业单位和其他"
    "生产经营者进行监督检查。被检查者应当如实反映情况，提供必要的资料。",
)
ART_99 = Provision(
    LAW,
    "第九十九条",
    "违反本法规定，有下列行为之一的，由县级以上人民政府生态环境主管部门责令改正或者限制生产、"
    "停产整治，并处十万元以上一百万元以下的罚款；情节严重的，报经有批准权的人民政府批准，"
    "责令停业、关闭：（一）未依法取得排污许可证排放大气污染物的；（二）超过大气污染物排放标准"
    "或者超过重点大气污染物排放总量控制指标排放大气污染物的；（三）通过逃避监管的方式排放"
    "大气污染物的。",
)
ART_100 = Provision(
    LAW,
    "第一百条",
    "违反本法规定，有下列行为之一的，由县级以上人民政府生态环境主管部门责令改正，处二万元以上"
    "二十万元以下的罚款；拒不改正的，责令停产整治：……（三）未按照规定安装、使用大气污染物排放"
    "自动监测设备或者未按照规定与生态环境主管部门的监控设备联网，并保证监测设备正常运行的；……",
)


@dataclass(frozen=True)
class Violation:
    """What a problem of one lead family violates and which provision sets the consequence."""

    violated: Provision
    penalty: Provision
    item: str
    """The item of the penalty provision, e.g. ``第（二）项``; empty if none."""


_EXCEED = Violation(ART_18, ART_99, "第（二）项")
_EVADE = Violation(ART_20_2, ART_99, "第（三）项")
_MONITOR = Violation(ART_24, ART_100, "第（三）项")

VIOLATION_BY_FAMILY: dict[str, Violation] = {
    "EXCEEDANCE": _EXCEED,
    "O2_ABNORMAL": _EVADE,  # dilution to lower the corrected value: 篡改 (环发〔2015〕175号)
    "FLATLINE": _EVADE,
    "PINNED": _EVADE,
    "CLONED": _EVADE,
    "TREATMENT_OFF": _EVADE,  # 不正常运行大气污染防治设施
    "TREATMENT_LOW": _EVADE,
    "MISSING": _MONITOR,
    "FLAG_ABUSE": _MONITOR,
    "EMERGENCY_VIOLATION": _EXCEED,  # emission during an ordered halt; see the rule's clause
}
"""The provisions cited for each lead family (problem type)."""


@dataclass(frozen=True)
class Standard:
    """The emission standard that sets an industry's limits, with the table of the limits."""

    code: str
    title: str
    table: str

    @property
    def citation(self) -> str:
        """``GB 13223-2011《火电厂大气污染物排放标准》表1``."""
        return f"{self.code}《{self.title}》{self.table}"


_GB16297 = Standard("GB 16297-1996", "大气污染物综合排放标准", "表2")
STANDARD_BY_INDUSTRY: dict[str, Standard] = {
    "coal_power": Standard("GB 13223-2011", "火电厂大气污染物排放标准", "表1"),
    "gas_power": Standard("GB 13223-2011", "火电厂大气污染物排放标准", "表1"),
    "industrial_boiler": Standard("GB 13271-2014", "锅炉大气污染物排放标准", "表1、表2"),
    "steel": Standard("GB 28662-2012", "钢铁烧结、球团工业大气污染物排放标准", "表1、表2"),
    "coking": Standard("GB 16171-2012", "炼焦化学工业污染物排放标准", "表4、表5"),
    "cement": Standard("GB 4915-2013", "水泥工业大气污染物排放标准", "表1"),
    "glass": Standard("GB 26453-2022", "玻璃工业大气污染物排放标准", "表1"),
    "waste_incineration": Standard("GB 18485-2014", "生活垃圾焚烧污染控制标准", "表4"),
    "petrochem": Standard("GB 31570-2015", "石油炼制工业污染物排放标准", "表3"),
    "chemical": _GB16297,
    "printing": Standard("GB 41616-2022", "印刷工业大气污染物排放标准", "表1"),
    "coating": _GB16297,
    "furniture": _GB16297,
    "other": _GB16297,
}
"""The national standard that sets the *stack* (organised) emission limits of each
industry, GB 16297-1996 where no sector standard applies. A local (provincial) standard
that is stricter takes precedence; it is not modelled here (the outlet's limit in the
registry may come from one). The web chart's limit line and the notices both read this.

GB 37822-2019 (挥发性有机物无组织排放控制标准) sets *fugitive* VOC controls and is not a
stack limit, so coating and furniture fall back to GB 16297-1996. Titles and numbers of
GB 26453-2022 (玻璃工业, replacing 平板玻璃工业 GB 26453-2011) and GB 41616-2022 (印刷工业)
were checked against two independent public standard lists, not against the published
texts (unverified)."""


def violation_for(family: str) -> Violation | None:
    """The provisions cited for a lead family, or None (e.g. ambient hot spots)."""
    return VIOLATION_BY_FAMILY.get(family)


def standard_for(industry: str | None) -> Standard:
    """The emission standard of an industry (GB 16297-1996 when unknown)."""
    return STANDARD_BY_INDUSTRY.get(industry or "other", _GB16297)


__all__ = [
    "ART_18",
    "ART_29",
    "ART_99",
    "STANDARD_BY_INDUSTRY",
    "VIOLATION_BY_FAMILY",
    "Provision",
    "Standard",
    "Violation",
    "standard_for",
    "violation_for",
]
