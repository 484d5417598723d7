"""Every word the reports say, in Chinese and English: the one catalogue of zh/en texts.

Three tables, one per kind of report part, each with a ``zh`` and an ``en`` side holding the same
keys: the rectification list and next-grade plan (:mod:`.words`, shared by both reports), the HTML
page (:mod:`.html`, :mod:`.charts`) and the text report (:mod:`.text`). A key means the same
thing in both languages; a text with ``{placeholders}`` is filled with ``str.format``.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The languages the reports speak; anything else is shown in Chinese.
LANGS = ("zh", "en")


def lang_of(lang: str) -> str:
    """The report language for a requested one: English when asked for, else Chinese."""
    return "en" if lang == "en" else "zh"


#: The rectification list (整改清单) and the next-grade plan.
RECTIFICATION_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "veto": "否决项", "gate": "必备条件", "points": "失分", "cap": "等级至多为", "deny": "不予认定",
        "none": "仅记录，不影响等级", ">=": "不低于", ">": "高于", "<=": "不超过", "<": "低于", "==": "为",
        "now": "现为", "must": "须", "or": "或", "raise": "增至", "reduce": "减至", "set": "改为",
        "by_up": "至少增加", "by_down": "至少减少", "pp": "个百分点", "from": "由", "sep": "：", "semi": "；",
        "points_of": "{points}/{max} 分，差 {shortfall} 分",
        "panel": "由评估组评分：数据无法弥补这一差距",
        "level": "须达到“{required}”（现为“{value}”），由评估组认定",
        "event": "已发生的事件（{value}）：数据无法弥补，本次评估中该否决成立",
        "fact": "须为 {required}（现为 {value}）：所报告的事实本身须改变",
        "not_computed": "整改量无法由公式精确求出（{note}）",
        "negative": "单独调整{field}无法达到（须为负数）", "above_one": "单独调整{field}无法达到（须超过100%）",
        "no_solution": "单独调整{field}无法达到（须为非整数）",
        "published": "采用的是公布的比率；要换算为人数，需提供 {counts}",
        "cv_head": "全县平均 {mean}，标准差 {sd}",
        "cv_sd": "全县平均不变时，标准差须降至不超过 {sd}",
        "cv_from": "差异主要来自：", "below_mean": "低于全县平均 {d}", "above_mean": "高于全县平均 {d}",
        "variance": "占方差 {p}%", "to_mean": "达到全县平均需 {fix}",
        "k_of_n": "达标 {met}/{n} 项，须至少 {k} 项", "k_more": "须再达标 {needed} 项，可选：",
        "floor": "低于下限（标准的 {floor} 倍）的项须至少达到下限：",
        "units_failing": "未达标单位 {n} 个", "units_more": "须至少再有 {needed} 个达标",
        "best": "已是最高等级。",
        "found": "达到“{target}”最少需要 {n} 项整改：",
        "needed_points": "（得分距“{target}”分数线还差 {points} 分）",
        "after": "整改后：得分 {score}，等级“{grade}”（已重新评估验证）。",
        "after_grade": "整改后：等级“{grade}”（已重新评估验证）。",
        "bounded": "搜索有上限，可能存在更小的方案。",
        "blocked": "无法达到“{target}”：{items} 不能通过数据整改弥补。",
        "not_found_bounded": "在搜索上限内未找到达到“{target}”的方案。",
        "not_found": "即使完成全部可由数据完成的整改，也达不到“{target}”。",
        "by_panel": "（由评估组评分）", "by_level": "（由评估组认定）", "by_fact": "（事实须改变）",
        "by_indicator": "（须逐校整改，见上）", "unit_of": "{unit}", "next": "达到上一等级",
        "title": "整改清单", "none_left": "无需整改：没有未达到的条件，也没有失分项。",
        "no_bound": "该计分方式没有可求的满分界限", "no_closed_form": "公式对任一输入都不是线性比值",
        "not_numeric": "不是数值", "aggregate": "汇总方式无逐项整改量", "too_deep": "嵌套过深",
        "analysis": "分析失败", "share": "（全校数，本学段占 {p}%）",
    },
    "en": {
        "veto": "veto", "gate": "gate", "points": "points", "cap": "grade at most", "deny": "not recognised",
        "none": "reported only, no effect on the grade", ">=": "at least", ">": "above", "<=": "at most",
        "<": "below", "==": "equal to", "now": "now", "must": "must be", "or": "or ", "raise": "raise",
        "reduce": "reduce", "set": "set", "by_up": "an increase of at least", "by_down": "a reduction of at least",
        "pp": "percentage points", "from": "from", "sep": ": ", "semi": "; ",
        "points_of": "{points} of {max} points, {shortfall} short",
        "panel": "awarded by the panel: data cannot close this gap",
        "level": "must become “{required}” (now “{value}”), as the panel judges",
        "event": "an event that happened ({value}): data cannot undo it; the veto stands for this evaluation",
        "fact": "must be {required} (now {value}): the reported fact itself must change",
        "not_computed": "the amount cannot be derived exactly from the formula ({note})",
        "negative": "{field} alone cannot do it (it would have to be negative)",
        "above_one": "{field} alone cannot do it (it would have to exceed 100%)",
        "no_solution": "{field} alone cannot do it (no whole number does)",
        "published": "a published rate was used; a number of pupils needs the counts {counts}",
        "cv_head": "county mean {mean}, standard deviation {sd}",
        "cv_sd": "with the mean unchanged, the standard deviation must fall to at most {sd}",
        "cv_from": "the dispersion comes mostly from:", "below_mean": "{d} below the county mean",
        "above_mean": "{d} above the county mean", "variance": "{p}% of the variance", "to_mean": "to reach the mean: {fix}",
        "k_of_n": "meets {met} of {n}, needs {k}", "k_more": "{needed} more of these:",
        "floor": "items below the floor ({floor} × the standard) must at least reach it:",
        "units_failing": "{n} units do not meet it", "units_more": "at least {needed} more must",
        "best": "Already the best grade.",
        "found": "The fewest repairs that reach “{target}”: {n}.",
        "needed_points": " (the score is {points} points short of the cut-off of “{target}”)",
        "after": "After them: score {score}, grade “{grade}” (checked by re-evaluation).",
        "after_grade": "After them: grade “{grade}” (checked by re-evaluation).",
        "bounded": "The search is bounded; a smaller plan may exist.",
        "blocked": "“{target}” cannot be reached: {items} cannot be closed by data.",
        "not_found_bounded": "No plan reaching “{target}” within the bound of the search.",
        "not_found": "Even with every repair the data allows, “{target}” is not reached.",
        "by_panel": " (awarded by the panel)", "by_level": " (judged by the panel)", "by_fact": " (the fact must change)",
        "by_indicator": " (school by school, see above)", "unit_of": "{unit}", "next": "Reaching the next grade",
        "title": "Rectification list", "none_left": "Nothing to rectify: every condition is met and no point is lost.",
        "no_bound": "this kind of scoring has no computable full-points bound",
        "no_closed_form": "the formula is not a ratio of linear functions of any input",
        "not_numeric": "not a number", "aggregate": "this aggregation gives no per-item amount", "too_deep": "nested too deep",
        "analysis": "analysis failed", "share": " (the whole school's; this segment's share is {p}%)",
    },
}

#: The HTML report: headings, table columns, chart captions, badges.
PAGE_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN", "title": "督导评估结果报告", "county": "县（市、区）", "standard": "评估标准",
        "sha": "标准内容哈希（SHA-256）", "decision": "决策编号",
        "unrecorded": "未记录（evaluate --record 记入台账后才有决策编号）", "as_of": "评估日期", "stage": "评估阶段",
        "evaluator": "评估者", "input": "提交数据哈希", "kernel": "内核版本", "grade": "评定等级",
        "score": "得分", "why": "为何不是“{grade}”（分数已达到）：", "why_gates": "为何不是“{grade}”：", "rules": "必备条件与否决项",
        "kind": "类别", "rule": "条目", "state": "状态", "value": "值", "limit": "标准", "effect": "影响",
        "veto": "否决项", "gate": "必备条件", "triggered": "触发", "not_triggered": "未触发",
        "failed": "未达到", "passed": "通过", "cap": "等级至多为 {grade}", "deny": "不予认定", "none": "仅记录",
        "indicators": "指标", "indicator": "指标", "met": "达标", "points": "得分", "yes": "是", "no": "否",
        "units": "{n} 个单位", "failed_units": "未达标：{units}", "published": "采用公布值",
        "charts": "图表", "chart_limit": "各指标值与标准（以标准为 100%）",
        "chart_limit_note": "条形为 值 ÷ 标准；竖线为标准；红色为未达标",
        "chart_cv": "各差异系数与其上限", "chart_cv_note": "竖线为上限；综合上限指该系数所属综合差异系数的上限",
        "composite": "综合上限", "chart_points": "各领域得分", "chart_points_note": "深色为得分，浅色为满分",
        "no_chart": "本标准没有可绘制的此类数据。", "rectification": "整改清单",
        "next": "达到上一等级", "assumptions": "本结果所依据的假定", "no_assumptions": "本结果不依赖任何假定参数。",
        "sources": "依据文件", "footer": "由 standards-kernel {version} 生成：自包含页面，无脚本、无外部字体；数值仅为显示而舍入。",
        "closable_data": "可由数据整改", "closable_fact": "须改变事实", "closable_panel": "评估组评分",
        "closable_level": "评估组认定", "closable_event": "不可弥补", "closable_not_computed": "未能求出整改量",
        "area": "领域", "max": "满分", "replayed": "本记录不含整改清单（记录早于该功能）；下列清单由重放本记录算出。",
    },
    "en": {
        "lang": "en", "title": "Supervision evaluation report", "county": "County", "standard": "Standard",
        "sha": "Standard content hash (SHA-256)", "decision": "Decision id",
        "unrecorded": "not recorded (evaluate --record gives it a decision id)", "as_of": "Evaluation date", "stage": "Stage",
        "evaluator": "Evaluator", "input": "Submission hash", "kernel": "Kernel version", "grade": "Grade",
        "score": "Score", "why": "Why not “{grade}” (the score reaches it):", "why_gates": "Why not “{grade}”:", "rules": "Gates and vetoes",
        "kind": "kind", "rule": "rule", "state": "state", "value": "value", "limit": "limit", "effect": "effect",
        "veto": "veto", "gate": "gate", "triggered": "TRIGGERED", "not_triggered": "not triggered",
        "failed": "FAILED", "passed": "passed", "cap": "grade at most {grade}", "deny": "not recognised",
        "none": "reported only", "indicators": "Indicators", "indicator": "indicator", "met": "met",
        "points": "points", "yes": "yes", "no": "NO", "units": "{n} units", "failed_units": "not meeting it: {units}",
        "published": "published figure", "charts": "Charts",
        "chart_limit": "Each indicator against its limit (limit = 100%)",
        "chart_limit_note": "bars are value ÷ limit; the line is the limit; red: not met",
        "chart_cv": "Difference coefficients against their ceilings",
        "chart_cv_note": "the line is the ceiling; “composite” marks the ceiling of the composite it belongs to",
        "composite": "composite", "chart_points": "Points by area", "chart_points_note": "dark: points; light: maximum",
        "no_chart": "This standard has no data of this kind to draw.", "rectification": "Rectification list",
        "next": "Reaching the next grade", "assumptions": "Assumptions this result rests on",
        "no_assumptions": "This result rests on no assumed parameter.", "sources": "Sources",
        "footer": "Made by standards-kernel {version}: a self-contained page, no scripts, no remote fonts; numbers rounded for display only.",
        "closable_data": "closable by data", "closable_fact": "the fact must change", "closable_panel": "panel points",
        "closable_level": "judged by the panel", "closable_event": "cannot be closed", "closable_not_computed": "amount not derived",
        "area": "area", "max": "max", "replayed": "This record predates the rectification list; the list below comes from replaying it.",
    },
}

#: The text report.
TEXT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "grade": "等级", "score": "得分", "reaches": "分数已达到", "why_not": "未评为", "because": "原因",
        "veto": "否决项", "gate": "必备条件", "triggered": "触发", "failed": "未达到", "passed": "通过",
        "not_triggered": "未触发", "indicators": "指标", "value": "值", "limit": "标准", "met": "达标",
        "points": "得分", "assumptions": "本结果依赖的假定参数", "units_failed": "未达标单位",
        "as_of": "评估日期", "stage": "评估阶段", "capped": "等级至多为", "denied": "否决，等级为",
        "none": "仅记录", "yes": "是", "no": "否", "published": "采用公布值",
    },
    "en": {
        "grade": "Grade", "score": "Score", "reaches": "the score reaches it", "why_not": "Not", "because": "because",
        "veto": "veto", "gate": "gate", "triggered": "TRIGGERED", "failed": "FAILED", "passed": "passed",
        "not_triggered": "not triggered", "indicators": "Indicators", "value": "value", "limit": "limit",
        "met": "met", "points": "points", "assumptions": "Assumed parameters this result rests on",
        "units_failed": "units not meeting it", "as_of": "as of", "stage": "stage", "capped": "grade at most",
        "denied": "denied, grade", "none": "reported only", "yes": "yes", "no": "NO", "published": "published figure",
    },
}


def words(table: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    """One language's side of a table (see :func:`lang_of`)."""
    return table[lang_of(lang)]
