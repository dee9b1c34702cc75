{#- Exports by reporter, partner, SIC industry and year: HS6 values times the concordance weights. -#}
select
    trade.reporter,
    trade.partner,
    concordance.sic4,
    cast(trade.year as integer) as year,
    sum(trade.value_usd * concordance.weight) as value_usd
from {{ source('raw', 'trade') }} as trade
inner join {{ source('raw', 'hs_sic_concordance') }} as concordance using (hs6, hs_vintage)
where trade.flow = 'export'
group by trade.reporter, trade.partner, concordance.sic4, trade.year
