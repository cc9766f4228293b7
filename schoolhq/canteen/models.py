"""The canteen's records: its staff roster and the daily morning check (晨检)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person


class CanteenStaff(db.Model):
    """Someone who works in the canteen (with or without a sign-in), on the morning
    check's roster while active."""

    __tablename__ = "canteen_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    #: 岗位: 厨师, 切配, 面点, 洗消, 保洁 …
    post: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class MorningSheet(db.Model):
    """One school day's 晨检 sheet: every check of that day hangs on it, writing to the
    day takes its row lock, and once signed nothing on it changes."""

    __tablename__ = "canteen_morning_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    signed_by: Mapped[Account | None] = relationship()


class MorningCheck(db.Model):
    """One person's morning check on one day (one per person per day): the columns of
    the 从业人员晨检记录 and whether the person works that day."""

    __tablename__ = "canteen_morning_check"
    __table_args__ = (
        Index("uq_canteen_morning_check_day_person", "day", "person_id", unique=True),
        CheckConstraint("temperature_dc IS NULL OR temperature_dc BETWEEN 340 AND 430", name="temperature"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("canteen_morning_sheet.id"), index=True)
    day: Mapped[date]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    post: Mapped[str] = mapped_column(String(40), default="")
    #: 工作衣帽 and 个人卫生 as they were found (✓ or ✗)
    clothing_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    hygiene_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    #: keys of the data file's symptoms; empty: 无异常
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: body temperature in tenths of a degree (365 = 36.5 ℃), when taken
    temperature_dc: Mapped[int | None]
    remarks: Mapped[str] = mapped_column(String(300), default="")
    fit: Mapped[bool] = mapped_column(Boolean, default=True)
    #: why the person is off duty, in words, and what was done (离岗、调岗、就医)
    reason: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(100), default="")
    #: the health certificate's last day as it stood at the check
    certificate_until: Mapped[date | None]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    person: Mapped[Person] = relationship()
    checked_by: Mapped[Account | None] = relationship()


class Meal(db.Model):
    """One meal served on one day (早餐, 午餐 …) with its dishes: the week's menu, and what
    the food samples (留样) of that meal are taken from."""

    __tablename__ = "canteen_meal"
    __table_args__ = (Index("uq_canteen_meal_day_kind", "day", "kind", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    #: the data file's meal key: breakfast, lunch, dinner
    kind: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    dishes: Mapped[list[Dish]] = relationship(order_by="Dish.position", back_populates="meal")


class Dish(db.Model):
    __tablename__ = "canteen_dish"

    id: Mapped[int] = mapped_column(primary_key=True)
    meal_id: Mapped[int] = mapped_column(ForeignKey("canteen_meal.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(60))
    #: taken off the menu after it was published; kept while a sample names it
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    meal: Mapped[Meal] = relationship(back_populates="dishes")


class FoodSample(db.Model):
    """The 留样 of one dish of one meal: at least the weight rule, in the sample fridge,
    kept until 48 hours have passed; one per dish."""

    __tablename__ = "canteen_food_sample"
    __table_args__ = (
        Index("uq_canteen_food_sample_dish", "dish_id", unique=True),
        CheckConstraint("weight_g > 0", name="weight"),
        CheckConstraint("keep_until > sampled_at", name="kept"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dish_id: Mapped[int] = mapped_column(ForeignKey("canteen_dish.id"))
    meal_id: Mapped[int] = mapped_column(ForeignKey("canteen_meal.id"), index=True)
    weight_g: Mapped[int]
    sampled_at: Mapped[datetime] = mapped_column(index=True)
    sampler_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: the food-sample fridge (an asset of the kind sample_fridge)
    fridge_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    keep_until: Mapped[datetime]
    #: the number on the container's label (操作规范 7.9.3)
    container_code: Mapped[str] = mapped_column(String(30), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    discarded_at: Mapped[datetime | None]
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    dish: Mapped[Dish] = relationship()
    sampler: Mapped[Person] = relationship()
    reviewed_by: Mapped[Account | None] = relationship(foreign_keys=[reviewed_by_id])
    discarded_by: Mapped[Account | None] = relationship(foreign_keys=[discarded_by_id])


class Supplier(db.Model):
    """Someone the canteen buys food from (供应商档案), with the licences on file."""

    __tablename__ = "canteen_supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: the data file's supplier kind: producer, trader, farm
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    #: 联系人及电话
    contact: Mapped[str] = mapped_column(String(100), default="")
    #: the day the list of serious violators (严重违法失信名单) was searched, for staples
    blacklist_checked_on: Mapped[date | None]
    #: food-safety incidents in the past year, in words; empty: none
    incidents: Mapped[str] = mapped_column(String(300), default="")
    contract_until: Mapped[date | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    licences: Mapped[list[SupplierLicence]] = relationship(
        back_populates="supplier", order_by=lambda: [SupplierLicence.kind, SupplierLicence.id.desc()])


class SupplierLicence(db.Model):
    """One licence or certificate of a supplier; a newer one of the same kind replaces it."""

    __tablename__ = "canteen_supplier_licence"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("canteen_supplier.id"), index=True)
    #: the data file's licence kind: food_trade, food_production, business, other
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date | None]
    #: None: valid without end (a business licence 长期)
    expires_on: Mapped[date | None]
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: the smallest reminder threshold (days) already sent
    warned_days: Mapped[int | None]

    supplier: Mapped[Supplier] = relationship(back_populates="licences")


class Delivery(db.Model):
    """One delivery received (进货查验): its supplier, who received it (two people for
    staples), the vouchers' photo, and how long the record must be kept."""

    __tablename__ = "canteen_delivery"
    __table_args__ = (
        CheckConstraint("co_receiver_id IS NULL OR co_receiver_id <> receiver_id", name="two_receivers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[date] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("canteen_supplier.id"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    co_receiver_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    co_signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: 票证照片: the invoice, voucher and certificates as they came
    voucher_photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    remarks: Mapped[str] = mapped_column(String(300), default="")
    #: the last day of the retention the law asks (shelf life + 6 months, 2 years, or 6
    #: months for farm produce); deleting before it is refused
    keep_until: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    supplier: Mapped[Supplier] = relationship()
    receiver: Mapped[Person] = relationship(foreign_keys=[receiver_id])
    co_receiver: Mapped[Person | None] = relationship(foreign_keys=[co_receiver_id])
    recorded_by: Mapped[Account | None] = relationship()
    lines: Mapped[list[DeliveryLine]] = relationship(order_by="DeliveryLine.position", back_populates="delivery",
                                                     cascade="all, delete-orphan")


class DeliveryLine(db.Model):
    """One product of a delivery: the columns of 附录B, and accepted or rejected."""

    __tablename__ = "canteen_delivery_line"
    __table_args__ = (
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("shelf_life_days IS NULL OR shelf_life_days > 0", name="shelf_life_positive"),
        CheckConstraint("production_date IS NULL OR production_date <= received_on", name="made_before_received"),
        CheckConstraint("accepted OR rejected_reason <> ''", name="rejected_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("canteen_delivery.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    received_on: Mapped[date]
    #: the data file's category: grain, oil, meat … (decides staples, meat, farm produce)
    category: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(80))
    spec: Mapped[str] = mapped_column(String(60), default="")
    quantity_milli: Mapped[int]
    unit: Mapped[str] = mapped_column(String(10))
    production_date: Mapped[date | None]
    batch: Mapped[str] = mapped_column(String(60), default="")
    #: 保质期 as written (12个月, 180天) and in days; None: the product has none
    shelf_life: Mapped[str] = mapped_column(String(20), default="")
    shelf_life_days: Mapped[int | None]
    #: the last day it may be used, when the production date and shelf life are known
    use_by: Mapped[date | None]
    #: 生产者名称、地址及联系方式
    producer: Mapped[str] = mapped_column(String(200), default="")
    #: keys of the data file's documents that were checked
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    look_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the temperature on arrival in tenths of a degree, when taken (chilled, frozen)
    temperature_dc: Mapped[int | None]
    #: 自检或委检情况 (a pesticide rapid test's result)
    test_result: Mapped[str] = mapped_column(String(100), default="")
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 拒收原因及处理 (returned or destroyed)
    rejected_reason: Mapped[str] = mapped_column(String(200), default="")

    delivery: Mapped[Delivery] = relationship(back_populates="lines")


class CompanionRota(db.Model):
    """陪餐值班表: which school leader eats with the pupils at a meal on a weekday."""

    __tablename__ = "canteen_companion_rota"
    __table_args__ = (Index("uq_canteen_companion_rota_slot", "weekday", "meal_kind", unique=True),
                      CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Monday 0 … Sunday 6
    weekday: Mapped[int]
    meal_kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))

    person: Mapped[Person] = relationship()


class CompanionSwap(db.Model):
    """One day's change to the rota: another leader comes instead (换班)."""

    __tablename__ = "canteen_companion_swap"
    __table_args__ = (Index("uq_canteen_companion_swap_slot", "day", "meal_kind", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    meal_kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(String(100), default="")

    person: Mapped[Person] = relationship()


class CompanionMeal(db.Model):
    """陪餐记录: a leader ate this meal with the pupils, graded it and signed."""

    __tablename__ = "canteen_companion_meal"
    __table_args__ = (Index("uq_canteen_companion_meal_person", "meal_id", "person_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meal_id: Mapped[int] = mapped_column(ForeignKey("canteen_meal.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: 陪餐教师 who ate beside the leader, in words
    teachers: Mapped[str] = mapped_column(String(200), default="")
    #: the data file's grade keys (excellent, good, fair, poor)
    food_quality: Mapped[str] = mapped_column(String(10))
    hygiene: Mapped[str] = mapped_column(String(10))
    order: Mapped[str] = mapped_column(String(10))
    service: Mapped[str] = mapped_column(String(10))
    #: 陪餐情况及不良反应记载
    notes: Mapped[str] = mapped_column(String(500), default="")
    adverse_reactions: Mapped[bool] = mapped_column(Boolean, default=False)
    pupils_opinions: Mapped[str] = mapped_column(String(300), default="")
    problems: Mapped[str] = mapped_column(String(300), default="")
    follow_up: Mapped[str] = mapped_column(String(300), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    signature_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    meal: Mapped[Meal] = relationship()
    person: Mapped[Person] = relationship()


class DisinfectionBatch(db.Model):
    """One batch of tableware disinfected (餐（饮）用具清洗消毒记录): its method, when, the
    reading against the method's limit, what was disinfected, who did and who checked."""

    __tablename__ = "canteen_disinfection"
    __table_args__ = (
        Index("uq_canteen_disinfection_batch", "day", "batch_no", unique=True),
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        CheckConstraint("checker_id IS NULL OR checker_id <> operator_id", name="checked_by_another"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    #: the day's n-th batch (次序)
    batch_no: Mapped[int]
    meal_kind: Mapped[str] = mapped_column(String(20), default="")
    #: the data file's method key: boiling, steam, infrared, dishwasher, chlorine, central
    method: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    #: tenths of a degree for a temperature, mg/L for chlorine; None for a central firm
    reading: Mapped[int | None]
    items: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int | None]
    place: Mapped[str] = mapped_column(String(60), default="")
    operator_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    #: a central disinfection firm and its certificate for this batch (实施条例 第26条)
    central_firm: Mapped[str] = mapped_column(String(100), default="")
    central_certificate: Mapped[str] = mapped_column(String(60), default="")
    meets_limit: Mapped[bool] = mapped_column(Boolean)
    #: what was done when the limit was not met
    remarks: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    operator: Mapped[Person] = relationship(foreign_keys=[operator_id])
    checker: Mapped[Person | None] = relationship(foreign_keys=[checker_id])


class AdditiveUse(db.Model):
    """One use of a food additive (食品添加剂使用记录, 附录D)."""

    __tablename__ = "canteen_additive_use"
    __table_args__ = (CheckConstraint("amount_mg > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    used_on: Mapped[date] = mapped_column(index=True)
    additive: Mapped[str] = mapped_column(String(60))
    producer: Mapped[str] = mapped_column(String(100), default="")
    production_date: Mapped[date | None]
    #: 使用量 in milligrams (2.5 g = 2500)
    amount_mg: Mapped[int]
    function: Mapped[str] = mapped_column(String(40), default="")
    food: Mapped[str] = mapped_column(String(60))
    food_amount: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    remarks: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    user: Mapped[Person] = relationship()


class AdditiveDeclaration(db.Model):
    """本校不使用食品添加剂: a dated, signed declaration in place of an empty log."""

    __tablename__ = "canteen_additive_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    declared_on: Mapped[date] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(String(200))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    declared_by: Mapped[Account | None] = relationship()


class WasteHandover(db.Model):
    """Kitchen waste handed to a licensed collector (餐厨废弃物处置记录, 附录E)."""

    __tablename__ = "canteen_waste_handover"
    __table_args__ = (CheckConstraint("quantity_g > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    #: the data file's waste kind: food_waste, waste_oil, other
    kind: Mapped[str] = mapped_column(String(20))
    quantity_g: Mapped[int]
    handed_at: Mapped[datetime]
    collector_id: Mapped[int] = mapped_column(ForeignKey("canteen_supplier.id"))
    #: 处理人及联系方式: who came for it
    collector_person: Mapped[str] = mapped_column(String(100), default="")
    recorder_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    remarks: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    collector: Mapped[Supplier] = relationship()
    recorder: Mapped[Person] = relationship()
