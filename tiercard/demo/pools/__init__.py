"""Static pools the demo generator draws from: names, places, businesses, products, texts.

Plain data only. Anything expensive derived from it (pinyin) is computed once per entry by
:mod:`tiercard.demo.names`, never per generated row.
"""
