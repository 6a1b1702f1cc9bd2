"""Seed checklists: per-industry self-inspection (自查表) and on-site check (现场检查表) lists.

Items paraphrase the usual points of air-pollution inspections of each industry; each item
names the requirement it checks.

References
----------
.. [1] HJ 75-2017, 固定污染源烟气(SO2、NOx、颗粒物)排放连续监测技术规范 (CEMS operation,
       calibration, data flags).
.. [2] HJ 819-2017, 排污单位自行监测技术指南 总则.
.. [3] GB 13223-2011 火电厂大气污染物排放标准; GB 28662-2012 钢铁烧结、球团工业大气污染物排放标准;
       GB 4915-2013 水泥工业大气污染物排放标准; GB 13271-2014 锅炉大气污染物排放标准;
       GB 37822-2019 挥发性有机物无组织排放控制标准.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.workflow.models import ChecklistTemplate

_COMMON_CEMS: list[dict[str, str]] = [
    {
        "code": "CEMS-1",
        "text": "自动监测设备正常运行，数据实时传输，无长时间缺失",
        "basis": "HJ 75-2017",
    },
    {
        "code": "CEMS-2",
        "text": "校准、校验记录齐全，零点/量程漂移在允许范围内",
        "basis": "HJ 75-2017",
    },
    {
        "code": "CEMS-3",
        "text": "停运、维护、故障等数据标记与实际工况一致，有书面记录",
        "basis": "HJ 75-2017; HJ 212-2017 数据标识",
    },
    {
        "code": "CEMS-4",
        "text": "采样管线无旁路、无稀释、无堵塞，伴热正常",
        "basis": "HJ 75-2017",
    },
]
_COMMON_POWER: list[dict[str, str]] = [
    {
        "code": "PWR-1",
        "text": "治污设施与生产设施同步运行（分表计电数据与运行记录相符）",
        "basis": "大气污染防治法 第二十条",
    },
]

SEED_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "template_id": "steel-onsite-v1",
        "industry": "steel",
        "kind": "onsite",
        "title": "钢铁企业大气污染防治现场检查表",
        "items": [
            *_COMMON_CEMS,
            {
                "code": "ST-1",
                "text": "烧结机头、球团焙烧烟气超低排放治理设施（脱硫、脱硝、除尘）正常运行",
                "basis": "GB 28662-2012; 环大气〔2019〕35号",
            },
            {
                "code": "ST-2",
                "text": "原料场、料棚封闭，物料转运点集气除尘，无可见粉尘外逸",
                "basis": "环大气〔2019〕35号",
            },
            {
                "code": "ST-3",
                "text": "重污染天气应急减排措施落实（按绩效等级限产/停产）",
                "basis": "重污染天气重点行业应急减排措施制定技术指南",
            },
            *_COMMON_POWER,
        ],
    },
    {
        "template_id": "cement-onsite-v1",
        "industry": "cement",
        "kind": "onsite",
        "title": "水泥企业大气污染防治现场检查表",
        "items": [
            *_COMMON_CEMS,
            {
                "code": "CE-1",
                "text": "窑尾SNCR/SCR脱硝喷氨系统运行，氨水用量记录与产量相符",
                "basis": "GB 4915-2013",
            },
            {
                "code": "CE-2",
                "text": "窑头、窑尾、水泥磨袋式除尘器压差正常，无破袋",
                "basis": "GB 4915-2013",
            },
            {
                "code": "CE-3",
                "text": "错峰生产期间窑系统停产到位",
                "basis": "工信部联原〔2020〕201号",
            },
            *_COMMON_POWER,
        ],
    },
    {
        "template_id": "printing-self-v1",
        "industry": "printing",
        "kind": "self_inspection",
        "title": "印刷企业挥发性有机物自查表",
        "items": [
            {
                "code": "PR-1",
                "text": "油墨、胶粘剂、清洗剂等含VOCs原辅材料密闭储存，台账完整",
                "basis": "GB 37822-2019 §5",
            },
            {
                "code": "PR-2",
                "text": "印刷、覆膜、烘干等工序废气有效收集，集气罩风速符合要求",
                "basis": "GB 37822-2019 §10",
            },
            {
                "code": "PR-3",
                "text": "活性炭等吸附材料按期更换，有更换记录和危废转移联单",
                "basis": "GB 37822-2019; 危险废物转移管理办法",
            },
            {
                "code": "PR-4",
                "text": "治理设施与生产设施同步运行，运行记录完整",
                "basis": "大气污染防治法 第二十条",
            },
        ],
    },
    {
        "template_id": "coating-self-v1",
        "industry": "coating",
        "kind": "self_inspection",
        "title": "工业涂装企业挥发性有机物自查表",
        "items": [
            {
                "code": "CO-1",
                "text": "优先使用低VOCs含量涂料，涂料VOCs含量检测报告齐全",
                "basis": "GB 30981-2020",
            },
            {
                "code": "CO-2",
                "text": "调漆、喷涂、流平、烘干在密闭空间或设备中进行",
                "basis": "GB 37822-2019 §7",
            },
            {
                "code": "CO-3",
                "text": "RTO/RCO燃烧温度记录连续，温度不低于设计值",
                "basis": "HJ 1093-2020",
            },
            {
                "code": "CO-4",
                "text": "喷漆房无露天喷涂、无敞开式作业",
                "basis": "大气污染防治法 第四十六条",
            },
        ],
    },
    {
        "template_id": "coal_power-onsite-v1",
        "industry": "coal_power",
        "kind": "onsite",
        "title": "燃煤电厂大气污染防治现场检查表",
        "items": [
            *_COMMON_CEMS,
            {
                "code": "CP-1",
                "text": "脱硫、脱硝、除尘设施投运率和效率满足超低排放要求",
                "basis": "GB 13223-2011; 环发〔2015〕164号",
            },
            {
                "code": "CP-2",
                "text": "机组启停机时段数据标记规范，启停记录与DCS一致",
                "basis": "HJ 75-2017",
            },
            {
                "code": "CP-3",
                "text": "煤场封闭或防风抑尘措施到位",
                "basis": "大气污染防治法 第七十二条",
            },
            *_COMMON_POWER,
        ],
    },
    {
        "template_id": "industrial_boiler-onsite-v1",
        "industry": "industrial_boiler",
        "kind": "onsite",
        "title": "工业锅炉大气污染防治现场检查表",
        "items": [
            *_COMMON_CEMS,
            {
                "code": "BO-1",
                "text": "锅炉排放浓度满足GB 13271-2014及地方标准，低氮燃烧器正常运行",
                "basis": "GB 13271-2014",
            },
            {
                "code": "BO-2",
                "text": "烟气含氧量与燃烧工况相符，无掺风稀释",
                "basis": "GB 13271-2014 (基准含氧量折算)",
            },
            {
                "code": "BO-3",
                "text": "燃料成分、用量台账完整",
                "basis": "HJ 819-2017",
            },
        ],
    },
)


def ensure_checklist_templates(session: Session) -> int:
    """Insert the seed templates that are missing (audited as the system); return how many."""
    have = set(session.scalars(select(ChecklistTemplate.template_id)))
    added = 0
    for spec in SEED_TEMPLATES:
        if spec["template_id"] in have:
            continue
        tpl = ChecklistTemplate(version=1, active=True, **spec)
        session.add(tpl)
        session.flush()
        audit(
            session,
            None,
            "create_checklist_template",
            "checklist_template",
            tpl.template_id,
            after=snapshot(tpl),
        )
        added += 1
    return added
