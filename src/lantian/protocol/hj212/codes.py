"""HJ 212 code tables: command codes (CN), system codes (ST), data flags, reply codes.

One place for every protocol code and its meaning (Chinese and English).

References
----------
.. [1] HJ 212-2017, Table 5 (ST), Table 6 (ExeRtn), Table 7 (QnRtn), Table 8 (data flags),
   Table 9 (CN), Table 4 (fields).
.. [2] HJ 212-2025, Table 12 (new CNs 1001/1002/1014/2013/2052/2062/2111/3022/3024/9015),
   Table 5 (ST 44 electricity monitoring, ST 45 key production conditions).
.. [3] HJ/T 212-2005, Table 9 (alarm and address commands deleted in 2017).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "COMMANDS",
    "DATA_FLAGS",
    "DATA_FLAGS_2005",
    "ENCRYPTED_CNS",
    "EXE_RTN",
    "FACTOR_SUFFIXES",
    "NUMERIC_SUFFIXES",
    "QN_RTN",
    "SYSTEMS",
    "CommandInfo",
    "command_meaning",
    "is_encrypted_cn",
]


class CommandInfo(NamedTuple):
    """One command code: meaning in Chinese and English, standards that define it."""

    name_zh: str
    name_en: str
    versions: str


_ALL = "2005 2017 2025"

COMMANDS: dict[str, CommandInfo] = {
    "1000": CommandInfo("设置超时时间及重发次数", "set timeout and retry count", _ALL),
    "1001": CommandInfo(
        "上传数采仪硬件序列号 (2025) / 持续超限报警时间 (2005)",
        "upload logger hardware serial (2025) / alarm duration (2005)",
        "2005 2025",
    ),
    "1002": CommandInfo("设置数采仪入网编码 MN", "set logger MN", "2025"),
    "1011": CommandInfo("提取/上传现场机时间", "get / upload field-unit time", _ALL),
    "1012": CommandInfo("设置现场机时间", "set field-unit time", _ALL),
    "1013": CommandInfo("现场机时间校准请求", "field unit asks for time calibration", "2017 2025"),
    "1014": CommandInfo("提取/设置 SM4 密钥", "get / set SM4 key", "2025"),
    "1021": CommandInfo("提取污染物报警门限值", "get alarm thresholds", "2005"),
    "1022": CommandInfo("设置/上传污染物报警门限值", "set / upload alarm thresholds", "2005"),
    "1031": CommandInfo("提取上位机地址", "get upper-computer address", "2005"),
    "1032": CommandInfo("设置上位机地址", "set upper-computer address", "2005"),
    "1041": CommandInfo("提取数据上报时间", "get daily report time", "2005"),
    "1042": CommandInfo("设置数据上报时间", "set daily report time", "2005"),
    "1061": CommandInfo("提取实时数据间隔", "get real-time interval", _ALL),
    "1062": CommandInfo("设置/上传实时数据间隔", "set / upload real-time interval", _ALL),
    "1063": CommandInfo("提取分钟数据间隔", "get minute-data interval", "2017 2025"),
    "1064": CommandInfo("设置/上传分钟数据间隔", "set / upload minute interval", "2017 2025"),
    "1072": CommandInfo("设置现场机访问密码", "set access password", _ALL),
    "2011": CommandInfo("上传污染物实时数据", "upload real-time data", _ALL),
    "2012": CommandInfo("停止察看实时数据", "stop real-time data", _ALL),
    "2013": CommandInfo("上传原始监测数据", "upload raw monitoring data (spectra)", "2025"),
    "2021": CommandInfo("上传设备运行状态数据", "upload facility running status", _ALL),
    "2022": CommandInfo("停止察看设备运行状态", "stop facility running status", _ALL),
    "2031": CommandInfo("上传污染物日历史数据", "upload daily data", _ALL),
    "2041": CommandInfo("上传设备运行时间日历史数据", "upload daily running time", _ALL),
    "2051": CommandInfo("上传污染物分钟数据", "upload minute data", _ALL),
    "2052": CommandInfo("上传噪声单次测量数据", "upload single noise measurement", "2025"),
    "2061": CommandInfo("上传污染物小时数据", "upload hourly data", _ALL),
    "2062": CommandInfo("上传自动标样核查数据", "upload automatic standard-check data", "2025"),
    "2071": CommandInfo("提取污染物报警记录", "get alarm records", "2005"),
    "2072": CommandInfo("上传污染物报警事件", "upload alarm event", "2005"),
    "2081": CommandInfo("上传数采仪开机时间", "upload logger boot time", "2017 2025"),
    "2111": CommandInfo("上传炉膛温度5分钟均值", "upload furnace temperature 5-min mean", "2025"),
    "3011": CommandInfo("零点校准量程校准", "zero / span calibration", _ALL),
    "3012": CommandInfo("即时采样", "immediate sampling", _ALL),
    "3013": CommandInfo("启动清洗/反吹", "cleaning / back-blow", _ALL),
    "3014": CommandInfo(
        "比对采样 (2017) / 设置采样时间周期 (2005)",
        "comparison sampling (2017) / set sampling period (2005)",
        _ALL,
    ),
    "3015": CommandInfo("超标留样", "over-limit sample retention", "2017 2025"),
    "3016": CommandInfo("设置采样时间周期", "set sampling period", "2017 2025"),
    "3017": CommandInfo("提取采样时间周期", "get sampling period", "2017 2025"),
    "3018": CommandInfo("提取出样时间", "get sample-output time", "2017 2025"),
    "3019": CommandInfo("提取/上传设备唯一标识", "get / upload instrument id (SN)", "2017 2025"),
    "3020": CommandInfo("提取/上传现场机信息", "get / upload field-unit info", "2017 2025"),
    "3021": CommandInfo("设置现场机参数", "set field-unit parameter", "2017 2025"),
    "3022": CommandInfo("即时留样任务", "immediate sample-retention task", "2025"),
    "3024": CommandInfo("启动标样核查", "start standard check", "2025"),
    "9011": CommandInfo("请求应答", "request response (QnRtn)", _ALL),
    "9012": CommandInfo("执行结果", "execution result (ExeRtn)", _ALL),
    "9013": CommandInfo("通知应答", "notification response", _ALL),
    "9014": CommandInfo("数据应答", "data response", _ALL),
    "9015": CommandInfo("心跳包", "heartbeat", "2025"),
    "9021": CommandInfo("登录 (非标准)", "login (non-standard)", "vendor"),
    "9022": CommandInfo("登录应答 (非标准)", "login response (non-standard)", "vendor"),
}
"""CN → meaning. HJ 212-2017 Table 9, HJ 212-2025 Table 12, HJ/T 212-2005 Table 9."""


def command_meaning(cn: str, lang: str = "zh") -> str:
    """Return the meaning of command code ``cn`` (``"未知命令"`` / ``"unknown"`` if absent).

    References
    ----------
    .. [1] HJ 212-2017, Table 9; HJ 212-2025, Table 12.
    """
    info = COMMANDS.get(cn)
    if info is None:
        return "未知命令" if lang == "zh" else "unknown command"
    return info.name_zh if lang == "zh" else info.name_en


ENCRYPTED_CNS = frozenset({"1014", "3020"})
"""CNs outside 2000-2999 whose CP is SM4-encrypted under HJ 212-2025 §6.4."""


def is_encrypted_cn(cn: str) -> bool:
    """Whether HJ 212-2025 §6.4 encrypts the CP of command ``cn`` (2000-2999, 1014, 3020).

    References
    ----------
    .. [1] HJ 212-2025, §6.4 (scope of SM4 encryption).
    """
    return (len(cn) == 4 and cn[0] == "2") or cn in ENCRYPTED_CNS


SYSTEMS: dict[str, tuple[str, str]] = {
    "21": ("地表水质量监测", "surface-water quality"),
    "22": ("空气质量监测", "ambient air quality"),
    "23": ("声环境质量监测", "acoustic environment"),
    "24": ("地下水质量监测", "groundwater quality"),
    "25": ("土壤质量监测", "soil quality"),
    "26": ("海水质量监测", "sea-water quality"),
    "27": ("挥发性有机物监测", "VOCs monitoring"),
    "31": ("大气环境污染源", "air pollution source (flue gas)"),
    "32": ("地表水体环境污染源", "surface-water pollution source (wastewater)"),
    "33": ("地下水体环境污染源", "groundwater pollution source"),
    "34": ("海洋环境污染源", "marine pollution source"),
    "35": ("土壤环境污染源", "soil pollution source"),
    "36": ("声环境污染源", "noise source"),
    "37": ("振动环境污染源", "vibration source"),
    "38": ("放射性环境污染源", "radioactive source"),
    "39": ("工地扬尘污染源", "construction-site dust"),
    "41": ("电磁环境污染源", "electromagnetic source"),
    "44": ("用电监控", "electricity monitoring (sub-metering)"),
    "45": ("关键生产工况", "key production conditions"),
    "51": ("烟气排放过程监控", "flue-gas process monitoring"),
    "52": ("污水排放过程监控", "wastewater process monitoring"),
    "91": ("系统交互", "system interaction"),
}
"""ST → (Chinese, English). HJ 212-2017 Table 5; ST 44/45 from HJ 212-2025."""

QN_RTN: dict[str, str] = {
    "1": "准备执行请求",
    "2": "请求被拒绝",
    "3": "PW 错误",
    "4": "MN 错误",
    "5": "ST 错误",
    "6": "Flag 错误",
    "7": "QN 错误",
    "8": "CN 错误",
    "9": "CRC 校验错误",
    "100": "未知错误",
}
"""QnRtn request-response codes, HJ 212-2017 Table 7."""

EXE_RTN: dict[str, str] = {
    "1": "执行成功",
    "2": "执行失败，但不知道原因",
    "3": "命令请求条件错误",
    "4": "通讯超时",
    "5": "系统繁忙不能执行",
    "6": "系统故障",
    "100": "没有数据",
}
"""ExeRtn execution-result codes, HJ 212-2017 Table 6."""

DATA_FLAGS: dict[str, str] = {
    "N": "在线监控（监测）仪器仪表工作正常",
    "F": "在线监控（监测）仪器仪表停运",
    "M": "在线监控（监测）仪器仪表处于维护期间产生的数据",
    "S": "手工输入的设定值",
    "D": "在线监控（监测）仪器仪表故障",
    "C": "在线监控（监测）仪器仪表处于校准状态",
    "T": "在线监控（监测）仪器仪表采样数值超过测量上限",
    "B": "在线监控（监测）仪器仪表与数采仪通讯异常",
}
"""Data flags ``xxxxxx-Flag``, HJ 212-2017 Table 8."""

DATA_FLAGS_2005: dict[str, str] = {
    "P": "电源故障",
    "F": "排放源停运",
    "C": "校验",
    "M": "维护",
    "T": "超测上限",
    "D": "故障",
    "S": "设定值",
    "N": "正常",
    "0": "校准数据（空气站）",
    "1": "气象参数（空气站）",
    "2": "异常数据（空气站）",
    "3": "正常数据（空气站）",
}
"""HJ/T 212-2005 data flags (``F`` meant *source* stopped; ``P`` and air-station 0-3)."""

NUMERIC_SUFFIXES = frozenset(
    {
        "Rtd", "Min", "Avg", "Max", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "Cou", "ZsCou",
        "ValidNum", "TotalNum", "RS", "RT", "Data", "DayData", "NightData", "Ala",
    }
)  # fmt: skip
"""Suffixes whose value is a number (decoded to ``float``)."""

FACTOR_SUFFIXES: dict[str, str] = {
    "Rtd": "实时数据",
    "Min": "指定时间内最小值",
    "Avg": "指定时间内平均值",
    "Max": "指定时间内最大值",
    "ZsRtd": "实时折算数据",
    "ZsMin": "指定时间内最小折算值",
    "ZsAvg": "指定时间内平均折算值",
    "ZsMax": "指定时间内最大折算值",
    "Cou": "指定时间内累计值",
    "Flag": "监测仪器数据标记",
    "EFlag": "监测仪器扩充数据标记",
    "SampleTime": "监测仪器采样时间",
    "Info": "现场端信息",
    "SN": "在线监控（监测）仪器仪表编码",
    "RS": "设备运行状态",
    "RT": "设备日运行时间",
    "Data": "噪声监测时间段内数据",
    "DayData": "噪声昼间数据",
    "NightData": "噪声夜间数据",
    # extensions seen in real packets (HJ 212-2025 or vendors)
    "ZsCou": "折算累计值（扩展）",
    "ValidNum": "有效数据个数（扩展）",
    "TotalNum": "数据总个数（扩展）",
    "Ala": "报警值（HJ/T 212-2005）",
}
"""Per-factor suffixes ``xxxxxx-Suffix``, HJ 212-2017 Table 4, plus extensions."""
