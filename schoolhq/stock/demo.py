"""The demo school's supplies: about 150 items in two stores, a year of receipts and
issues, a few open requisitions, one item below its minimum and one below its reserve."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import local_day_bounds_utc, local_today
from schoolhq.extensions import db
from schoolhq.people.models import Person
from schoolhq.places.models import Location
from schoolhq.stock import requisitions, services
from schoolhq.stock.models import StockCategory, StockItem

#: category, name, unit, unit price (yuan), [specifications], (min, target, reserve), special, decimal
CATALOGUE = [
    ("办公用品", "复印纸", "包", 24, ["A4 70g", "A4 80g", "A3 70g", "B5 70g"], (20, 80, 0), False, False),
    ("办公用品", "中性笔", "支", 1.5, ["0.5mm 黑", "0.5mm 红", "0.5mm 蓝", "0.38mm 黑"], (50, 300, 0), False, False),
    ("办公用品", "笔芯", "盒", 12, ["0.5mm 黑", "0.5mm 红"], (5, 30, 0), False, False),
    ("办公用品", "文件夹", "个", 4.5, ["A4 单夹", "A4 双夹", "A4 拉杆", "风琴包"], (10, 60, 0), False, False),
    ("办公用品", "订书机", "个", 18, ["12号", "重型"], (2, 10, 0), False, False),
    ("办公用品", "订书钉", "盒", 2, ["12号", "23/13"], (10, 50, 0), False, False),
    ("办公用品", "便利贴", "本", 3, ["76×76 黄", "76×76 彩", "76×127"], (10, 60, 0), False, False),
    ("办公用品", "白板笔", "支", 2.5, ["黑", "红", "蓝"], (30, 200, 0), False, False),
    ("办公用品", "胶水", "支", 2, ["固体胶 21g", "液体胶 50ml"], (10, 60, 0), False, False),
    ("办公用品", "剪刀", "把", 6, ["大号", "小号"], (3, 15, 0), False, False),
    ("办公用品", "记号笔", "支", 3, ["黑 粗", "红 粗", "油性 细"], (10, 60, 0), False, False),
    ("办公用品", "档案盒", "个", 6, ["5.5cm", "7.5cm", "10cm"], (10, 60, 0), False, False),
    ("办公用品", "笔记本", "本", 5, ["A5 60页", "B5 80页", "教师备课本"], (20, 120, 0), False, False),
    ("办公用品", "信封", "包", 8, ["5号", "9号"], (2, 10, 0), False, False),
    ("办公用品", "长尾夹", "盒", 6, ["15mm", "25mm", "41mm"], (5, 30, 0), False, False),
    ("打印耗材", "硒鼓", "个", 380, ["HP 88A", "HP 12A", "兄弟 TN-2325", "佳能 328"], (2, 8, 1), True, False),
    ("打印耗材", "墨盒", "个", 150, ["爱普生 003 黑", "爱普生 003 彩", "惠普 803 黑"], (2, 8, 0), True, False),
    ("打印耗材", "碳粉", "瓶", 60, ["通用 100g", "理光 MP2014"], (3, 12, 0), False, False),
    ("打印耗材", "色带", "个", 25, ["针式 LQ-630K"], (2, 8, 0), False, False),
    ("清洁消毒用品", "84消毒液", "瓶", 12, ["500ml", "1L", "5L"], (20, 80, 10), False, False),
    ("清洁消毒用品", "含氯消毒片", "瓶", 18, ["100片"], (10, 40, 5), False, False),
    ("清洁消毒用品", "洗手液", "瓶", 16, ["500ml", "5L 补充装"], (20, 80, 10), False, False),
    ("清洁消毒用品", "医用酒精", "瓶", 9, ["75% 500ml", "75% 2.5L"], (15, 60, 8), False, False),
    ("清洁消毒用品", "垃圾袋", "卷", 6, ["小号", "中号", "大号", "加厚特大号"], (20, 100, 0), False, False),
    ("清洁消毒用品", "拖把", "把", 25, ["平板", "棉线"], (5, 20, 0), False, False),
    ("清洁消毒用品", "扫帚", "把", 15, ["塑料", "竹"], (5, 20, 0), False, False),
    ("清洁消毒用品", "抹布", "块", 2, ["超细纤维"], (30, 150, 0), False, False),
    ("清洁消毒用品", "洗洁精", "桶", 28, ["1.5kg", "5kg"], (5, 20, 0), False, False),
    ("清洁消毒用品", "卫生纸", "卷", 2.2, ["三层 140g"], (100, 600, 0), False, False),
    ("清洁消毒用品", "擦手纸", "包", 5, ["三折 200抽"], (40, 200, 0), False, False),
    ("防疫物资", "医用外科口罩", "只", 0.5, ["成人", "儿童"], (1500, 4000, 1000), False, False),
    ("防疫物资", "一次性手套", "副", 0.3, ["PE", "丁腈 M", "丁腈 L"], (200, 1000, 100), False, False),
    ("防疫物资", "额温枪", "个", 60, ["红外"], (2, 6, 2), True, False),
    ("防疫物资", "抗原检测试剂", "盒", 3, ["单人份"], (50, 200, 50), False, False),
    ("电池电料", "电池", "节", 1.5, ["5号 AA", "7号 AAA", "1号 D", "9V"], (40, 200, 0), False, False),
    ("电池电料", "LED灯管", "支", 22, ["T8 1.2m 18W", "T5 0.9m"], (10, 40, 5), False, False),
    ("电池电料", "LED球泡", "个", 9, ["E27 9W", "E27 15W"], (10, 40, 0), False, False),
    ("电池电料", "插线板", "个", 45, ["3位 3m", "5位 5m"], (3, 12, 0), False, False),
    ("电池电料", "电工胶布", "卷", 2, ["黑 10m"], (10, 40, 0), False, False),
    ("维修配件", "水龙头", "个", 35, ["单冷 4分", "感应式"], (3, 10, 0), False, False),
    ("维修配件", "门锁", "把", 55, ["球形锁", "执手锁", "挂锁"], (3, 10, 0), False, False),
    ("维修配件", "合页", "副", 8, ["4寸", "5寸"], (5, 20, 0), False, False),
    ("维修配件", "螺丝", "盒", 10, ["自攻 4×25", "膨胀 M8"], (3, 10, 0), False, False),
    ("维修配件", "玻璃胶", "支", 12, ["透明 300ml"], (3, 12, 0), False, False),
    ("维修配件", "PVC水管", "米", 6, ["DN20", "DN25"], (5, 30, 0), False, True),
    ("教学耗材", "粉笔", "盒", 5, ["白色无尘", "彩色无尘"], (30, 150, 0), False, False),
    ("教学耗材", "彩色卡纸", "包", 8, ["A4 混色", "4开 混色"], (10, 40, 0), False, False),
    ("教学耗材", "美术颜料", "盒", 25, ["水粉 12色", "丙烯 12色"], (5, 20, 0), False, False),
    ("教学耗材", "实验用酒精", "升", 15, ["95%"], (2, 10, 0), True, True),
    ("食堂耗材", "一次性手套（食品级）", "盒", 12, ["100只"], (10, 40, 5), False, False),
    ("食堂耗材", "保鲜膜", "卷", 18, ["30cm×500m"], (3, 12, 0), False, False),
    ("食堂耗材", "留样盒", "个", 0.8, ["250ml"], (200, 800, 100), False, False),
    ("劳保用品", "劳保手套", "副", 3, ["棉纱", "浸胶"], (20, 100, 0), False, False),
    ("劳保用品", "雨衣", "件", 30, ["分体"], (3, 10, 0), False, False),
    ("劳保用品", "工作服", "套", 85, ["S", "M", "L", "XL"], (2, 8, 0), False, False),
    ("劳保用品", "防滑鞋", "双", 60, ["39", "41", "43"], (1, 5, 0), False, False),
    ("防疫物资", "体温计", "支", 4, ["水银", "电子"], (10, 40, 5), False, False),
    ("防疫物资", "防护面罩", "个", 6, ["通用"], (10, 40, 10), False, False),
    ("清洁消毒用品", "消毒湿巾", "包", 7, ["80抽"], (20, 80, 10), False, False),
    ("清洁消毒用品", "洁厕灵", "瓶", 9, ["500g"], (10, 40, 0), False, False),
    ("清洁消毒用品", "玻璃清洁剂", "瓶", 11, ["500ml"], (5, 20, 0), False, False),
    ("办公用品", "回形针", "盒", 2, ["28mm", "50mm"], (10, 40, 0), False, False),
    ("办公用品", "橡皮擦", "块", 1, ["4B"], (20, 100, 0), False, False),
    ("办公用品", "铅笔", "支", 0.8, ["HB", "2B"], (50, 300, 0), False, False),
    ("办公用品", "计算器", "个", 25, ["12位"], (2, 8, 0), False, False),
    ("办公用品", "荧光笔", "支", 2.5, ["黄", "绿"], (10, 60, 0), False, False),
    ("办公用品", "U盘", "个", 45, ["32G", "64G"], (2, 10, 0), True, False),
    ("教学耗材", "试卷袋", "个", 1.2, ["A3 牛皮纸"], (50, 300, 0), False, False),
    ("教学耗材", "奖状", "张", 0.6, ["A4"], (100, 500, 0), False, False),
    ("教学耗材", "跳绳", "根", 8, ["计数"], (10, 40, 0), False, False),
    ("教学耗材", "篮球", "个", 90, ["5号"], (3, 12, 0), True, False),
    ("电池电料", "开关面板", "个", 12, ["单开", "双开"], (5, 20, 0), False, False),
    ("电池电料", "插座面板", "个", 14, ["五孔"], (5, 20, 0), False, False),
    ("维修配件", "角阀", "个", 16, ["4分"], (4, 12, 0), False, False),
    ("维修配件", "马桶配件", "套", 45, ["进水阀", "排水阀"], (2, 8, 0), False, False),
    ("食堂耗材", "厨房纸", "卷", 6, ["双层"], (10, 40, 0), False, False),
    ("食堂耗材", "食品留样标签", "卷", 12, ["500张"], (2, 8, 1), False, False),
    ("维修配件", "直饮机滤芯", "支", 35, ["PP棉 QG-U5-01", "活性炭 QG-C2", "RO膜 QG-RO-75G"], (4, 16, 0), False, False),
]
PURPOSES = ["日常办公", "期中考试印卷", "班级卫生", "教研活动", "运动会", "家长会", "公开课", "维修更换",
            "消毒防疫", "美术课", "科学实验", "食堂日常"]
SUPPLIERS = ["得力文具店", "晨光办公专营", "市教育装备供应站", "益民五金店", "康洁清洁用品公司"]


def _utc(day, hour: int) -> datetime:
    return local_day_bounds_utc(day)[0] + timedelta(hours=hour, minutes=15)


def load(rng: random.Random, small: bool = False) -> None:
    months = 2 if small else 12
    store_room = db.session.scalar(select(Location).where(Location.name == "仓库"))
    teaching_floor = db.session.scalar(select(Location).where(Location.code == "A1"))
    storekeeper = db.session.scalar(select(Person).where(Person.name == "赵敏"))
    main = services.save_store("总务仓库", store_room.id, storekeeper.id)
    cupboard = services.save_store("教学楼一楼文具柜", teaching_floor.id, storekeeper.id)
    categories = {c.name: c.id for c in db.session.scalars(select(StockCategory))}

    items: list[tuple[StockItem, float]] = []
    barcode = 6901234500000
    for category, name, unit, price, specs, (low, target, reserve), special, decimal in CATALOGUE:
        for spec in specs:
            barcode += 7
            item = services.save_item(services.ItemData(
                name=name, spec=spec, unit=unit, category_id=categories[category], decimal_unit=decimal,
                barcode=str(barcode), min_level=str(low), target_level=str(target), reserve_level=str(reserve),
                quota_person="20" if name in ("中性笔", "白板笔") else "",
                quota_department="30" if name == "复印纸" else "", needs_approval=special))
            items.append((item, price))

    store_account = db.session.scalar(select(Account).where(Account.username == "store"))
    people = list(db.session.scalars(select(Person).where(Person.department_id.is_not(None)).order_by(Person.id)))
    today = local_today()
    start = today - timedelta(days=30 * months)
    stock = {item.id: 0 for item, _p in items}
    for month in range(months + 1):
        received_on = start + timedelta(days=30 * month)
        if received_on > today:
            break
        lines = []
        for item, price in items:
            target = item.target_level_milli
            if stock[item.id] <= item.min_level_milli * 1.5 or month == 0:
                quantity = target - stock[item.id]
                if quantity > 0:
                    cost = round(price * rng.uniform(0.95, 1.08), 2)
                    lines.append(services.ReceiptLine(item.id, services.format_quantity(quantity).replace(",", ""),
                                                      f"{cost:.2f}"))
                    stock[item.id] += quantity
        if lines:
            services.receive(main.id, lines, rng.choice(SUPPLIERS), f"{rng.randrange(10**7, 10**8)}", received_on)
        # Three weeks of issues at the counter, a few items each.
        for n in range(12):
            day = received_on + timedelta(days=1 + n * 2)
            if day >= today:
                break
            picks = rng.sample([(i, p) for i, p in items if not i.needs_approval], 3)
            entries = []
            for item, _price in picks:
                spare = stock[item.id] - max(item.min_level_milli, item.reserve_level_milli) - 1000
                take = min(max(item.target_level_milli // 12, 1000) // 1000 * 1000, spare)
                if take >= 1000:
                    entries.append(requisitions.CounterLine(item.id, str(take // 1000)))
                    stock[item.id] -= take
            if entries:
                requisitions.issue_at_counter(store_account, main.id, rng.choice(people).id, entries,
                                              rng.choice(PURPOSES), on_paper=True, issued_at=_utc(day, 9 + n % 7))

    # The cupboard on the teaching floor holds a few everyday things.
    for item, _price in items[:12]:
        if item.needs_approval or stock[item.id] < item.min_level_milli + 10_000:
            continue
        services.transfer(item.id, main.id, cupboard.id, "5", "补充文具柜")
        stock[item.id] -= 5000

    # One item below its minimum, one below its emergency reserve (which only the
    # logistics head may release).
    logistics = db.session.scalar(select(Account).where(Account.username == "logistics"))
    paper = next(i for i, _p in items if i.name == "复印纸" and i.spec == "A4 70g")
    masks = next(i for i, _p in items if i.name == "医用外科口罩" and i.spec == "成人")
    for item, keep in ((paper, paper.min_level_milli - 5000), (masks, masks.reserve_level_milli - 200_000)):
        excess = services.on_hand(item.id, main.id) - keep
        if excess > 0:
            requisitions.issue_at_counter(logistics, main.id, people[0].id,
                                          [requisitions.CounterLine(item.id, services.format_quantity(excess)
                                                                    .replace(",", ""))],
                                          "期中考试印卷" if item is paper else "流感季发放", on_paper=True)

    # Open requisitions: one waiting for the department head, one ready, one partly issued.
    teacher = db.session.scalar(select(Account).where(Account.username == "teacher"))
    toner = next(i for i, _p in items if i.name == "硒鼓")
    pens = next(i for i, _p in items if i.name == "中性笔")
    chalk = next(i for i, _p in items if i.name == "粉笔")
    notebook = next(i for i, _p in items if i.name == "笔记本")
    for lines, purpose in (([(toner, "1")], "语文组打印机换硒鼓"),
                           ([(pens, "10"), (chalk, "5")], "三年级期末复习"),
                           ([(notebook, "20"), (pens, "5")], "作文竞赛奖品")):
        for item, quantity in lines:
            requisitions.add_to_cart(teacher, item.id, quantity)
        requisitions.submit(teacher, requisitions.Submission(purpose, True, main.id))
    last = db.session.scalars(select(requisitions.Requisition).where(
        requisitions.Requisition.status == "ready").order_by(requisitions.Requisition.id.desc())).first()
    first_line = last.lines[0]
    requisitions.issue(store_account, last.id, {first_line.id: "10"}, on_paper=True)
    db.session.flush()
